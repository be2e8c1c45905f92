//! DIDL-Lite (the metadata a renderer reports for its current item) → what is playing.
//! Pure: strings in, values out. Radio is the hard part: the song lives in r:streamContent,
//! in one of two shapes, and dc:title is often the stream's URL rather than a name.
use roxmltree::{Document, Node};

/// One `<item>` of a DIDL-Lite document, fields as the renderer wrote them ("" when absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DidlItem {
    pub title: String,
    pub creator: String,
    pub album: String,
    /// `upnp:class`, e.g. "object.item.audioItem.musicTrack".
    pub class: String,
    pub art_uri: Option<String>,
    /// `r:streamContent`: None when the element is missing, Some("") when present but empty.
    pub stream_content: Option<String>,
    /// The `res` element's text (the media URI).
    pub res: Option<String>,
    /// The `res` element's `duration` attribute, when it is a real (non-zero) length.
    pub duration_ms: Option<u64>,
}

/// The song as a listener would name it (empty strings where nothing is known).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Song {
    pub title: String,
    pub artist: String,
    pub album: String,
}

#[derive(Debug, thiserror::Error)]
#[error("unreadable DIDL-Lite metadata: {0}")]
pub struct DidlError(String);

/// Parse DIDL-Lite. Empty text and Sonos's "NOT_IMPLEMENTED" (line-in) mean no metadata.
pub fn parse_didl(xml: &str) -> Result<Option<DidlItem>, DidlError> {
    let xml = xml.trim();
    if xml.is_empty() || xml == "NOT_IMPLEMENTED" {
        return Ok(None);
    }
    let doc = match Document::parse(xml) {
        Ok(doc) => doc,
        // Some Sonos firmware writes `xmlns:dc="…"xmlns:upnp=…` without a space: repair, retry.
        Err(first) => {
            let repaired = xml.replace("\"xmlns:", "\" xmlns:");
            return match Document::parse(&repaired) {
                Ok(doc) => Ok(item_of(&doc)),
                Err(_) => Err(DidlError(first.to_string())),
            };
        }
    };
    Ok(item_of(&doc))
}

fn item_of(doc: &Document) -> Option<DidlItem> {
    let item = doc
        .root_element()
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "item")?;
    let text = |name: &str| child(item, name).map(node_text).unwrap_or_default();
    let res = child(item, "res");
    Some(DidlItem {
        title: text("title"),
        creator: text("creator"),
        album: text("album"),
        class: text("class"),
        art_uri: Some(text("albumArtURI")).filter(|s| !s.is_empty()),
        stream_content: child(item, "streamContent").map(node_text),
        res: res.map(node_text).filter(|s| !s.is_empty()),
        duration_ms: res
            .and_then(|r| r.attribute("duration"))
            .and_then(parse_hms)
            .filter(|&ms| ms > 0),
    })
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn node_text(node: Node) -> String {
    node.text().unwrap_or_default().trim().to_string()
}

impl DidlItem {
    /// A radio item without a song named: a station, or a stream between songs.
    fn is_stream_without_song(&self) -> bool {
        let radio_class = self.class == "object.item" || self.class.contains("audioBroadcast");
        radio_class && self.creator.is_empty()
    }

    /// The station's name, when this item describes a station (AVTransportURIMetaData).
    pub fn station(&self) -> Option<&str> {
        (self.class.contains("audioBroadcast") && !self.title.is_empty()).then_some(&self.title)
    }

    /// The song: from r:streamContent for radio, else from dc:title, dc:creator, upnp:album.
    pub fn song(&self) -> Song {
        match self.stream_content.as_deref().map(str::trim) {
            Some(content) if !content.is_empty() => parse_stream_content(content),
            _ if self.is_stream_without_song() => Song::default(),
            _ => Song {
                title: self.title.clone(),
                artist: self.creator.clone(),
                album: self.album.clone(),
            },
        }
    }
}

/// r:streamContent: "TYPE=SNG|TITLE …|ARTIST …|ALBUM …" (TuneIn, iHeart) or "Artist - Title".
pub fn parse_stream_content(content: &str) -> Song {
    if let Some(rest) = content.strip_prefix("TYPE=") {
        let mut parts = rest.split('|');
        // Other types (ads, station ids) carry no song.
        if parts.next().map(str::trim) != Some("SNG") {
            return Song::default();
        }
        let mut song = Song::default();
        for part in parts {
            let (key, value) = part.split_once(' ').unwrap_or((part, ""));
            let value = value.trim().to_string();
            match key {
                "TITLE" => song.title = unwrap_text_attr(&value),
                "ARTIST" => song.artist = unwrap_text_attr(&value),
                "ALBUM" => song.album = unwrap_text_attr(&value),
                _ => {}
            }
        }
        return song;
    }
    match content.split_once(" - ") {
        Some((artist, title)) => Song {
            title: title.trim().to_string(),
            artist: artist.trim().to_string(),
            album: String::new(),
        },
        None => Song {
            title: content.to_string(),
            ..Song::default()
        },
    }
}

/// iHeart streams write `TITLE text="Song" amgTrackId="123"`: keep the song, not the markup.
pub fn unwrap_text_attr(value: &str) -> String {
    value
        .strip_prefix("text=\"")
        .and_then(|rest| rest.split_once('"'))
        .map(|(inner, _)| inner.to_string())
        .unwrap_or_else(|| value.to_string())
}

/// "H:MM:SS" or "H:MM:SS.mmm" → milliseconds; "NOT_IMPLEMENTED", "" and junk (hours past
/// what milliseconds can hold included) → None.
pub fn parse_hms(text: &str) -> Option<u64> {
    let mut parts = text.trim().split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(0.0..60.0).contains(&s) {
        return None;
    }
    h.checked_mul(3600)?
        .checked_add(m.checked_mul(60)?)?
        .checked_mul(1000)?
        .checked_add((s * 1000.0).round() as u64)
}

/// Album art paths like "/getaa?…" are relative to the speaker ("http://ip:1400").
pub fn absolute_uri(uri: &str, base: &str) -> String {
    if uri.starts_with('/') {
        format!("{}{uri}", base.trim_end_matches('/'))
    } else {
        uri.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = r#"xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/""#;

    fn didl(inner: &str) -> String {
        format!(r#"<DIDL-Lite {NS}><item id="-1" parentID="-1">{inner}</item></DIDL-Lite>"#)
    }

    #[test]
    fn music_track() {
        let xml = didl(
            r#"<res protocolInfo="http-get:*:audio/mpeg:*" duration="0:03:12.500">http://x/a.mp3</res>
            <upnp:albumArtURI>/getaa?u=x&amp;v=1</upnp:albumArtURI><dc:title>Tired</dc:title>
            <upnp:class>object.item.audioItem.musicTrack</upnp:class><dc:creator>Alan Walker</dc:creator>
            <upnp:album>Tired</upnp:album>"#,
        );
        let item = parse_didl(&xml).unwrap().unwrap();
        assert_eq!(item.duration_ms, Some(192_500));
        assert_eq!(item.art_uri.as_deref(), Some("/getaa?u=x&v=1"));
        assert_eq!(item.res.as_deref(), Some("http://x/a.mp3"));
        let song = item.song();
        assert_eq!(
            (
                song.title.as_str(),
                song.artist.as_str(),
                song.album.as_str()
            ),
            ("Tired", "Alan Walker", "Tired")
        );
    }

    #[test]
    fn radio_artist_dash_title() {
        let xml = didl(
            "<r:streamContent>Leona Lewis - Bleeding Love</r:streamContent>\
             <dc:title>x-sonosapi-stream:s17553?sid=254</dc:title><upnp:class>object.item</upnp:class>",
        );
        let song = parse_didl(&xml).unwrap().unwrap().song();
        assert_eq!(
            (song.artist.as_str(), song.title.as_str()),
            ("Leona Lewis", "Bleeding Love")
        );
    }

    #[test]
    fn radio_typed_song_and_other_types() {
        let s = parse_stream_content("TYPE=SNG|TITLE Places|ARTIST Martin Solveig|ALBUM Hits");
        assert_eq!(
            (s.title.as_str(), s.artist.as_str(), s.album.as_str()),
            ("Places", "Martin Solveig", "Hits")
        );
        let s = parse_stream_content(
            r#"TYPE=SNG|TITLE text="Spot" amgTrackId="1"|ARTIST |ALBUM a - b"#,
        );
        assert_eq!(
            (s.title.as_str(), s.artist.as_str(), s.album.as_str()),
            ("Spot", "", "a - b")
        );
        assert_eq!(
            parse_stream_content("TYPE=ADV|TITLE Buy now"),
            Song::default()
        );
        let s = parse_stream_content("Just a show name");
        assert_eq!(
            (s.title.as_str(), s.artist.as_str()),
            ("Just a show name", "")
        );
    }

    #[test]
    fn station_without_song_and_station_name() {
        let xml = didl(
            "<r:streamContent></r:streamContent><dc:title>bbc_radio_two.m3u8</dc:title>\
             <upnp:class>object.item</upnp:class>",
        );
        assert_eq!(parse_didl(&xml).unwrap().unwrap().song(), Song::default());
        let xml = didl(
            "<dc:title>DR P3</dc:title><upnp:class>object.item.audioItem.audioBroadcast</upnp:class>",
        );
        assert_eq!(parse_didl(&xml).unwrap().unwrap().station(), Some("DR P3"));
    }

    #[test]
    fn empty_missing_and_not_implemented() {
        assert_eq!(parse_didl("").unwrap(), None);
        assert_eq!(parse_didl("NOT_IMPLEMENTED").unwrap(), None);
        assert_eq!(parse_didl(&format!("<DIDL-Lite {NS}/>")).unwrap(), None);
        let item = parse_didl(&didl("<dc:title></dc:title>")).unwrap().unwrap();
        assert_eq!(
            (item.title.as_str(), item.art_uri, item.res),
            ("", None, None)
        );
        assert!(parse_didl("<DIDL-Lite><item>").is_err());
    }

    #[test]
    fn repairs_missing_space_between_namespaces() {
        let xml = r#"<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/"xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"><item><dc:title>Lugna</dc:title><upnp:class>object.item.audioItem.audioBroadcast</upnp:class></item></DIDL-Lite>"#;
        assert_eq!(parse_didl(xml).unwrap().unwrap().station(), Some("Lugna"));
    }

    #[test]
    fn times() {
        assert_eq!(parse_hms("0:02:35"), Some(155_000));
        assert_eq!(parse_hms("1:00:00.25"), Some(3_600_250));
        assert_eq!(parse_hms("NOT_IMPLEMENTED"), None);
        assert_eq!(parse_hms(""), None);
        assert_eq!(parse_hms("0:99"), None);
        // Found by fuzzing LastChange: hours that overflow milliseconds panicked (debug builds).
        assert_eq!(parse_hms("18446744073709551615:00:00"), None);
        assert_eq!(parse_hms("5124095576030431:00:00"), None);
        assert_eq!(parse_hms("0:18446744073709551615:00"), None);
        assert_eq!(
            absolute_uri("/getaa?x", "http://h:1400/"),
            "http://h:1400/getaa?x"
        );
        assert_eq!(
            absolute_uri("https://cdn/x.jpg", "http://h:1400"),
            "https://cdn/x.jpg"
        );
    }
}
