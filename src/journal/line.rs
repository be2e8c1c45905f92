//! One journal line as it is on disk: the entry's JSON with a checksum as its last field.
//!
//! ```text
//! {"seq":7,"at":1700000000000,"input":{…},"effects":[…],"crc":"3b1d0c9e"}
//! ```
//!
//! `crc` is the CRC-32 (IEEE, the one zlib, gzip and Python's `zlib.crc32` compute) of every
//! byte of the line before `,"crc":`, as 8 lowercase hex digits. Without it a flipped letter in
//! a guest id or a digit in a time still reads as an entry, and replay would build a different
//! party without a word. The line stays a JSON object for jq and other tools, and readers that
//! do not know the field ignore it.
//!
//! Always last and of fixed length, the field is cheap both ways: the writer serialises the
//! entry once and replaces its closing brace with `,"crc":"…"}`; a reader finds it in the
//! line's last 18 bytes and checks the bytes before it, without parsing.
//!
//! Lines written before checksums (no `crc`) still read, so old journals open and a journal
//! carries on after an upgrade. Every party-tui that wrote such lines wrote exactly the fields
//! of `Entry`, so a line without a checksum that has any other field (a damaged `"crc"` key,
//! say) is damage, not an old line. A line whose checksum does not match is damage too: party-tui
//! never writes one.
use super::Entry;
use crate::core::{Effect, Input, Timestamp};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `,"crc":"` + 8 hex digits + `"}`.
pub(crate) const CRC_FIELD_LEN: usize = KEY.len() + 8 + END.len();
const KEY: &[u8] = br#","crc":""#;
const END: &[u8] = br#""}"#;
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `entry` to `buf` as one line, checksum and newline included.
pub fn write(buf: &mut Vec<u8>, entry: &Entry) -> serde_json::Result<()> {
    let start = buf.len();
    serde_json::to_writer(&mut *buf, entry)?;
    // An `Entry` serialises as an object, so the last byte is its closing brace.
    debug_assert_eq!(buf.last(), Some(&b'}'));
    buf.pop();
    let crc = crc32fast::hash(&buf[start..]);
    buf.extend_from_slice(KEY);
    buf.extend((0..8).rev().map(|i| HEX[(crc >> (i * 4)) as usize & 0xf]));
    buf.extend_from_slice(END);
    buf.push(b'\n');
    Ok(())
}

/// Why a complete line cannot be read as an entry.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The checksum does not match the bytes: they changed after party-tui wrote them.
    #[error(
        "is damaged: its checksum says {stated} but its bytes give {computed:08x}, so it \
         changed after party-tui wrote it (a bad sector, a stray write, an edit)"
    )]
    Checksum { stated: String, computed: u32 },
    #[error("is corrupt: {0}")]
    Json(#[from] serde_json::Error),
    /// Whole as party-tui wrote it (the checksum matches), yet not an entry this version reads:
    /// not damage, so it is never set aside (a newer party-tui wrote it).
    #[error(
        "was written whole (its checksum matches) but this party-tui cannot read it: {0}. A \
         newer party-tui may have written it: start the party with that version"
    )]
    Unreadable(serde_json::Error),
}

impl LineError {
    /// Whether the bytes themselves are bad (changed, cut, unreadable without a checksum to
    /// say otherwise): such a line is set aside. `Unreadable` is not.
    pub(crate) fn is_damage(&self) -> bool {
        !matches!(self, LineError::Unreadable(_))
    }
}

/// The JSON of a complete line (without its newline), checked: `Ok(true)` if it carries a
/// checksum and it matches, `Ok(false)` if it carries none (a line from before checksums).
pub(crate) fn verify(line: &[u8]) -> Result<bool, LineError> {
    // Trailing blanks (an editor's `\r`) do not change the JSON; the checksum is before them.
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |i| i + 1);
    let Some(field_at) = end.checked_sub(CRC_FIELD_LEN) else {
        return Ok(false);
    };
    let field = &line[field_at..end];
    if !field.starts_with(KEY) || !field.ends_with(END) {
        return Ok(false);
    }
    let hex = &field[KEY.len()..KEY.len() + 8];
    let stated = hex.iter().try_fold(0u32, |acc, &b| {
        let digit = HEX.iter().position(|&h| h == b)?;
        Some(acc << 4 | digit as u32)
    });
    let computed = crc32fast::hash(&line[..field_at]);
    if stated == Some(computed) {
        Ok(true)
    } else {
        Err(LineError::Checksum {
            stated: String::from_utf8_lossy(hex).into_owned(),
            computed,
        })
    }
}

/// Reads a complete line (without its newline) as `Checked` if its checksum matches, or as
/// `Unchecked` (which must refuse fields party-tui never wrote) if it has none.
pub(crate) fn parse<Checked, Unchecked>(line: &[u8]) -> Result<Checked, LineError>
where
    Checked: DeserializeOwned,
    Unchecked: DeserializeOwned + Into<Checked>,
{
    parse_checked::<Checked, Unchecked>(line).map(|(entry, _)| entry)
}

/// `parse`, and whether the line carried a checksum (that matched).
fn parse_checked<Checked, Unchecked>(line: &[u8]) -> Result<(Checked, bool), LineError>
where
    Checked: DeserializeOwned,
    Unchecked: DeserializeOwned + Into<Checked>,
{
    if verify(line)? {
        let entry = from_json::<Checked>(line).map_err(|e| match e {
            LineError::Json(e) => LineError::Unreadable(e),
            other => other,
        })?;
        Ok((entry, true))
    } else {
        from_json::<Unchecked>(line).map(|e| (e.into(), false))
    }
}

fn from_json<T: DeserializeOwned>(line: &[u8]) -> Result<T, LineError> {
    // serde_json checks UTF-8 string by string in a byte slice; one check of the line is
    // cheaper. Invalid UTF-8 goes the byte way, for serde_json's own error.
    Ok(match std::str::from_utf8(line) {
        Ok(text) => serde_json::from_str(text)?,
        Err(_) => serde_json::from_slice(line)?,
    })
}

/// Reads one complete journal line (without its newline) as an entry, checksum checked.
pub fn read(line: &[u8]) -> Result<Entry, LineError> {
    parse::<Entry, OldEntry>(line)
}

/// Every entry line begins so (see `write`): how a whole entry is found after damaged bytes.
const ENTRY_START: &[u8] = br#"{"seq":"#;

/// A complete line as the readers of a journal take it.
pub(crate) enum Sorted<T> {
    /// `checked`: its checksum matched (else it has none: a line from before checksums).
    Entry { entry: T, checked: bool },
    /// Damaged to its end: set aside whole.
    Damaged,
    /// Damaged bytes, then a whole entry that reads (its checksum matches, or it has none and
    /// parses): a stretch of damage that ran over the line's start, or a torn write glued to
    /// the next line by an older version. The first `prefix` bytes are set aside, the entry kept.
    Salvaged {
        prefix: usize,
        entry: T,
        checked: bool,
    },
}

/// Sorts a complete line (without its newline). Errors only for a line that is whole but not
/// readable by this version (`LineError::Unreadable`): never set aside, never guessed at.
pub(crate) fn sort<Checked, Unchecked>(line: &[u8]) -> Result<Sorted<Checked>, LineError>
where
    Checked: DeserializeOwned,
    Unchecked: DeserializeOwned + Into<Checked>,
{
    match parse_checked::<Checked, Unchecked>(line) {
        Ok((entry, checked)) => Ok(Sorted::Entry { entry, checked }),
        Err(e) if !e.is_damage() => Err(e),
        Err(_) => Ok(salvage::<Checked, Unchecked>(line)),
    }
}

/// The whole entry at the end of a damaged line, if there is one. JSON escapes quotes in
/// strings, so `{"seq":` in a line's bytes is always an entry's start (or damage).
fn salvage<Checked, Unchecked>(line: &[u8]) -> Sorted<Checked>
where
    Checked: DeserializeOwned,
    Unchecked: DeserializeOwned + Into<Checked>,
{
    let at = line
        .windows(ENTRY_START.len())
        .rposition(|w| w == ENTRY_START)
        .filter(|&i| i > 0);
    match at.map(|i| (i, parse_checked::<Checked, Unchecked>(&line[i..]))) {
        Some((prefix, Ok((entry, checked)))) => Sorted::Salvaged {
            prefix,
            entry,
            checked,
        },
        _ => Sorted::Damaged,
    }
}

/// How many entry starts damaged bytes still show: a hint of how many entries they held.
pub(crate) fn entry_starts(bytes: &[u8]) -> u64 {
    bytes
        .windows(ENTRY_START.len())
        .filter(|w| *w == ENTRY_START)
        .count() as u64
}

/// A line from before checksums: the fields `Entry` has always had, and no others.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OldEntry {
    seq: u64,
    at: Timestamp,
    input: Input,
    #[serde(default)]
    effects: Vec<Effect>,
}

impl From<OldEntry> for Entry {
    fn from(e: OldEntry) -> Entry {
        Entry {
            seq: e.seq,
            at: e.at,
            input: e.input,
            effects: e.effects,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Action, Origin, Press, PressKind, Voter};

    fn entry(seq: u64, who: &str) -> Entry {
        Entry {
            seq,
            at: Timestamp(1_700_000_000_000 + seq as i64),
            input: Input::Press(Press {
                voter: Voter::guest(who),
                origin: Origin::Phone,
                kind: PressKind::Vote(Action::Like),
                battery: None,
            }),
            effects: Vec::new(),
        }
    }

    fn written(e: &Entry) -> Vec<u8> {
        let mut buf = Vec::new();
        write(&mut buf, e).unwrap();
        assert_eq!(buf.pop(), Some(b'\n'));
        buf
    }

    #[test]
    fn a_new_line_round_trips_and_stays_json_with_the_crc_last() {
        let e = entry(7, "ann");
        let line = written(&e);
        let plain = serde_json::to_vec(&e).unwrap();
        // The entry's own JSON, its brace moved after the checksum of what precedes it.
        let body = &plain[..plain.len() - 1];
        assert!(line.starts_with(body));
        let crc = format!("{:08x}", crc32fast::hash(body));
        assert_eq!(
            &line[body.len()..],
            format!(r#","crc":"{crc}"}}"#).as_bytes()
        );
        assert!(verify(&line).unwrap());
        assert_eq!(read(&line).unwrap(), e);
        // Tools that know nothing of it read the entry and the field.
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["crc"], crc.as_str());
        assert_eq!(serde_json::from_slice::<Entry>(&line).unwrap(), e);
        // Appending to a batch writes after what is there.
        let mut buf = b"x\n".to_vec();
        write(&mut buf, &e).unwrap();
        assert_eq!(&buf[2..buf.len() - 1], &line[..]);
    }

    #[test]
    fn an_old_line_without_a_checksum_reads_as_before() {
        let e = entry(3, "bob");
        let old = serde_json::to_vec(&e).unwrap();
        assert!(!verify(&old).unwrap());
        assert_eq!(read(&old).unwrap(), e);
        let with_effects = br#"{"seq":1,"at":5,"input":{"type":"tick"},"effects":[]}"#;
        assert_eq!(read(with_effects).unwrap().seq, 1);
        // An editor's carriage return changes nothing, old or new.
        assert_eq!(read(&[&old[..], b"\r"].concat()).unwrap(), e);
        assert_eq!(read(&[&written(&e)[..], b"\r"].concat()).unwrap(), e);
    }

    #[test]
    fn any_changed_byte_of_a_new_line_is_damage() {
        let e = entry(12, "carol");
        let line = written(&e);
        for at in 0..line.len() {
            for flip in [0x01, 0x20, 0x80] {
                let mut bad = line.clone();
                bad[at] ^= flip;
                if let Ok(read) = read(&bad) {
                    panic!("byte {at} ^ {flip:#x} read as {read:?}");
                }
            }
        }
        // A digit in the time, the classic silent change without a checksum.
        let text = String::from_utf8(line).unwrap();
        let bad = text.replacen("1700000000012", "1700000000013", 1);
        let err = read(bad.as_bytes()).unwrap_err();
        assert!(matches!(err, LineError::Checksum { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("is damaged: its checksum says ")
        );
    }

    #[test]
    fn a_line_without_a_checksum_but_with_other_fields_is_not_an_old_line() {
        let line = written(&entry(1, "dan"));
        let text = String::from_utf8(line).unwrap();
        // The key damaged: no checksum to check, but no older party-tui wrote that field.
        let renamed = text.replace(r#""crc":"#, r#""crd":"#);
        assert!(!verify(renamed.as_bytes()).unwrap());
        assert!(matches!(read(renamed.as_bytes()), Err(LineError::Json(_))));
        // The field first (a tool rewrote the line): the same.
        let old = serde_json::to_string(&entry(1, "dan")).unwrap();
        let moved = format!(r#"{{"crc":"00000000",{}"#, &old[1..]);
        assert!(!verify(moved.as_bytes()).unwrap());
        assert!(read(moved.as_bytes()).is_err(), "{moved}");
        // Digits that are not hex: damage, not a line without a checksum.
        let hex = text.len() - 10..text.len() - 2;
        let garbled = text.replace(&text[hex], "zzzzzzzz");
        let err = read(garbled.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("says zzzzzzzz"), "{err}");
    }
}
