//! The recap as one self-contained HTML page: inline CSS and SVG, no scripts, no external
//! files, so it works from `/recap`, from a file, and on a phone without the internet.
use super::{BUCKET_MS, Recap, TOP_N};
use crate::report::SongTotal;

/// The timeline's drawing box (the SVG scales to the page width).
const W: f64 = 640.0;
const H: f64 = 220.0;
const PAD_L: f64 = 34.0;
const PAD_B: f64 = 26.0;
const PAD_T: f64 = 12.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Local clock time of a moment of the party, for the axis.
fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&chrono::Local).format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Likes as bars and skip votes as a line, per five minutes, with clock times underneath.
pub(crate) fn timeline_svg(r: &Recap) -> String {
    let n = r.likes.len().max(r.skips.len()).max(1);
    let max = r
        .likes
        .iter()
        .chain(&r.skips)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = W - PAD_L - 8.0;
    let plot_h = H - PAD_T - PAD_B;
    let step = plot_w / n as f64;
    let y = |v: u32| PAD_T + plot_h - plot_h * v as f64 / max;
    let mut svg = format!(
        r#"<svg class="timeline" viewBox="0 0 {W} {H}" role="img" aria-label="Likes and skip votes through the night"><title>Likes and skip votes per 5 minutes</title>"#
    );
    // Grid lines at a quarter, half and the top, labelled with their counts.
    for q in [0.0, 0.5, 1.0] {
        let v = (max * q).round() as u32;
        let yy = y(v);
        svg += &format!(
            r##"<line x1="{PAD_L}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#333"/><text x="{}" y="{:.1}" class="ax" text-anchor="end">{v}</text>"##,
            W - 8.0,
            PAD_L - 6.0,
            yy + 4.0
        );
    }
    for (i, &v) in r.likes.iter().enumerate() {
        if v == 0 {
            continue;
        }
        let x = PAD_L + i as f64 * step + step * 0.15;
        svg += &format!(
            r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2" fill="#3bb273"><title>{} likes at {}</title></rect>"##,
            y(v),
            (step * 0.7).max(1.0),
            PAD_T + plot_h - y(v),
            v,
            clock(r.start_ms + i as i64 * BUCKET_MS)
        );
    }
    if !r.skips.is_empty() {
        let points: Vec<String> = (0..n)
            .map(|i| {
                let v = r.skips.get(i).copied().unwrap_or(0);
                format!("{:.1},{:.1}", PAD_L + (i as f64 + 0.5) * step, y(v))
            })
            .collect();
        svg += &format!(
            r##"<polyline points="{}" fill="none" stroke="#e5534b" stroke-width="2.5" stroke-linejoin="round"/>"##,
            points.join(" ")
        );
    }
    // About six clock labels, whatever the length of the night.
    let every = n.div_ceil(6).max(1);
    for i in (0..n).step_by(every) {
        svg += &format!(
            r#"<text x="{:.1}" y="{}" class="ax" text-anchor="middle">{}</text>"#,
            PAD_L + (i as f64 + 0.5) * step,
            H - 8.0,
            clock(r.start_ms + i as i64 * BUCKET_MS)
        );
    }
    svg + "</svg>"
}

/// A ranked list with a bar per row, scaled to the first (largest) value.
fn ranked(title: &str, rows: &[(String, String, u32)], unit: &str, color: &str) -> String {
    let mut out = format!(r#"<section class="card"><h2>{}</h2>"#, esc(title));
    if rows.is_empty() {
        out += r#"<p class="none">Nothing yet.</p>"#;
    } else {
        let max = rows.iter().map(|r| r.2).max().unwrap_or(1).max(1);
        out += "<ol>";
        for (name, detail, v) in rows {
            out += &format!(
                r#"<li><div class="row"><span class="name">{}</span><span class="num">{v} {unit}</span></div><div class="sub">{}</div><div class="bar"><i style="width:{}%;background:{color}"></i></div></li>"#,
                esc(name),
                esc(detail),
                100 * v / max
            );
        }
        out += "</ol>";
    }
    out + "</section>"
}

/// Songs (repeats merged, as the report counts them) with the number to show.
fn tracks(list: Vec<SongTotal>, by: fn(&SongTotal) -> u32) -> Vec<(String, String, u32)> {
    list.into_iter()
        .map(|t| (t.title.clone(), t.artist.clone(), by(&t)))
        .collect()
}

/// What the journal lost, said plainly above the figures that leave it out.
fn damage(rep: &crate::report::Report) -> String {
    rep.damage_lines_in(&chrono::Local)
        .iter()
        .map(|d| format!(r#"<p class="when">Not counted here: {}</p>"#, esc(d)))
        .collect()
}

pub(crate) fn page(r: &Recap) -> String {
    let rep = &r.report;
    let played_requests: u32 = r.requesters.iter().map(|q| q.played).sum();
    let tiles = [
        (rep.tracks.len() as u32, "tracks"),
        (rep.total_likes, "likes"),
        (rep.total_skip_votes, "skip votes"),
        (rep.skips_fired, "skipped"),
        (played_requests, "requests played"),
    ];
    let tiles: String = tiles
        .iter()
        .map(|(n, l)| format!(r#"<div class="tile"><b>{n}</b><span>{l}</span></div>"#))
        .collect();
    let liked = tracks(rep.most_liked(TOP_N), |t| t.likes);
    let skipped = tracks(rep.most_skipped(TOP_N), |t| t.skip_votes);
    let requesters: Vec<(String, String, u32)> = r
        .requesters
        .iter()
        .map(|q| {
            (
                q.name.clone(),
                format!("asked {} · ♥ {} on their songs", q.asked, q.likes),
                q.played,
            )
        })
        .collect();
    let mut buttons: Vec<(String, String, u32)> = rep
        .presses_by_button
        .iter()
        .map(|(b, n)| (b.clone(), String::new(), *n))
        .collect();
    buttons.sort_by_key(|b| std::cmp::Reverse(b.2));
    let when = if r.start_ms > 0 {
        chrono::DateTime::from_timestamp_millis(r.start_ms)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%A %e %B, from %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    } else {
        String::new()
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>Party recap · {party}</title>
<style>
*{{box-sizing:border-box}}
body{{margin:0;font:16px/1.45 system-ui,sans-serif;background:#111;color:#eee}}
main{{max-width:1100px;margin:0 auto;padding:18px}}
h1{{font-size:26px;margin:4px 0 2px}} .when{{color:#999;margin:0 0 14px}}
h2{{font-size:17px;margin:0 0 10px;color:#ddd}}
.tiles{{display:grid;grid-template-columns:repeat(auto-fit,minmax(110px,1fr));gap:10px;margin-bottom:14px}}
.tile{{background:#1c1c1c;border-radius:12px;padding:12px}} .tile b{{display:block;font-size:28px}} .tile span{{color:#aaa;font-size:14px}}
.card{{background:#1c1c1c;border-radius:14px;padding:16px;margin-bottom:14px;min-width:0}}
.timeline{{width:100%;height:auto;display:block}} .ax{{fill:#888;font-size:11px}}
@media (max-width:600px){{.ax{{font-size:20px}}}}
.legend{{font-size:14px;color:#aaa;margin-top:6px}} .legend i{{display:inline-block;width:12px;height:12px;border-radius:3px;margin:0 6px -1px 0}}
.grid{{display:grid;grid-template-columns:1fr;gap:0 14px}}
@media (min-width:760px){{.grid{{grid-template-columns:1fr 1fr}}}}
ol{{margin:0;padding:0;list-style:none;counter-reset:n}}
li{{padding:6px 0;border-bottom:1px solid #2a2a2a}} li:last-child{{border:0}}
.row{{display:flex;justify-content:space-between;gap:10px}} .name{{font-weight:600;overflow-wrap:anywhere}} .num{{white-space:nowrap;color:#ccc}}
.sub{{color:#999;font-size:14px;overflow-wrap:anywhere}}
.bar{{height:6px;background:#2a2a2a;border-radius:3px;margin-top:4px}} .bar i{{display:block;height:100%;border-radius:3px}}
.none{{color:#888;margin:0}}
</style></head>
<body><main>
<h1>{party}</h1><p class="when">{when}</p>{damage}
<div class="tiles">{tiles}</div>
<section class="card"><h2>The night in likes and skips</h2>{svg}
<div class="legend"><i style="background:#3bb273"></i>likes <i style="background:#e5534b;margin-left:12px"></i>skip votes · per 5 minutes</div></section>
<div class="grid">
{liked}
{skipped}
{requesters}
{buttons}
</div>
</main></body></html>
"#,
        party = esc(&rep.party),
        when = esc(&when),
        damage = damage(rep),
        svg = timeline_svg(r),
        liked = ranked("Most liked", &liked, "♥", "#3bb273"),
        skipped = ranked("Most skipped", &skipped, "✕", "#e5534b"),
        requesters = ranked("Top requesters", &requesters, "played", "#5b8def"),
        buttons = ranked("Presses per button", &buttons, "presses", "#c9a227"),
    )
}
