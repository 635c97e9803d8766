//! What the app keeps (local storage) and shares (a link): the three texts the user works on, and
//! the trace generator's settings.
//!
//! A share link carries the state in the URL *fragment* (`#s=…`), which browsers never send to a
//! server: `1.` + base64url (no padding) of the raw-DEFLATE-compressed JSON of [`Saved`].
//! Decoding never trusts the fragment: bad base64, a corrupt or oversized stream, or JSON of the
//! wrong shape each give an error message, and the texts are only ever shown as text.

use serde::{Deserialize, Serialize};

use crate::state::tracegen::GeneratorSpec;

/// The fragment key of a share link.
pub const FRAGMENT_KEY: &str = "s=";
/// The format version written before the payload.
const FORMAT: &str = "1.";
/// Largest decompressed share payload accepted (a bomb-sized fragment is refused).
pub const MAX_SHARED_BYTES: usize = 16 * 1024 * 1024;

/// The app's persistent state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Saved {
    /// The raw policy JSON, exactly as typed (may be invalid).
    pub policy: String,
    /// The pasted `tools/list` result (may be empty).
    pub tools: String,
    /// The trace text (may be empty).
    pub trace: String,
    /// The trace generator's settings.
    pub generator: Option<GeneratorSpec>,
    /// Which trace source is active: the text (`false`) or the generator (`true`).
    pub use_generator: bool,
    /// The policy version the dry run is compared with (empty: no comparison).
    pub compare: String,
}

impl Saved {
    /// The JSON stored in local storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads [`Saved::to_json`]; missing fields take their defaults.
    pub fn from_json(text: &str) -> Result<Saved, String> {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v @ serde_json::Value::Object(_)) => {
                serde_json::from_value(v).map_err(|e| format!("saved state is not readable: {e}"))
            }
            Ok(_) => Err("saved state is not readable: expected an object".into()),
            Err(e) => Err(format!("saved state is not readable: {e}")),
        }
    }
}

/// Encodes the state for a share link's fragment (without the leading `#`).
pub fn encode_fragment(saved: &Saved) -> String {
    let json = saved.to_json();
    let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
    format!("{FRAGMENT_KEY}{FORMAT}{}", base64url_encode(&packed))
}

/// Decodes a fragment (with or without the leading `#`). `Ok(None)` when it carries no shared
/// state (an empty fragment or another anchor).
pub fn decode_fragment(fragment: &str) -> Result<Option<Saved>, String> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let Some(payload) = fragment.strip_prefix(FRAGMENT_KEY) else { return Ok(None) };
    let Some(data) = payload.strip_prefix(FORMAT) else {
        return Err("this share link was made by another version of the app (unknown format)".into());
    };
    let packed = base64url_decode(data).ok_or("the share link is damaged (not base64url); was it cut short?")?;
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_SHARED_BYTES).map_err(|e| {
        if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
            "the share link's content is larger than 16 MB and was refused".to_string()
        } else {
            "the share link is damaged (its content does not decompress); was it cut short?".to_string()
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|_| "the share link's content is not UTF-8 text")?;
    Saved::from_json(&text).map(Some).map_err(|e| format!("the share link's content is not app state ({e})"))
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let emit = chunk.len() + 1;
        for i in 0..emit {
            let idx = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET.get(idx as usize).copied().unwrap_or(b'A')));
        }
    }
    out
}

/// Decodes base64url (padding and standard `+/` tolerated); `None` on any other character or an
/// impossible length.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Saved {
        Saved {
            policy: "{\"version\": \"1\", \"default\": \"deny\"}".into(),
            tools: include_str!("../../../tests/fixtures/toollists/github.json").into(),
            trace: "{\"tool\": \"x\"}\n<script>alert(1)</script>".into(),
            generator: Some(GeneratorSpec::default()),
            use_generator: true,
            compare: "{\"version\": \"1\", \"default\": \"allow\"}".into(),
        }
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = base64url_encode(&bytes);
            assert!(text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
            assert_eq!(base64url_decode(&text), Some(bytes));
        }
        assert_eq!(base64url_encode(b"hello"), "aGVsbG8");
    }

    #[test]
    fn base64url_rejects_foreign_characters() {
        assert_eq!(base64url_decode("aGV*bG8"), None);
        assert_eq!(base64url_decode("a"), None);
        assert_eq!(base64url_decode("aGVsbG8="), Some(b"hello".to_vec()));
    }

    #[test]
    fn a_share_link_carries_policy_tools_and_trace_and_compresses_them() {
        let saved = sample();
        let fragment = encode_fragment(&saved);
        assert!(fragment.starts_with("s=1."));
        assert!(fragment.len() < saved.tools.len() / 3, "github's 86 tools compress: {} bytes", fragment.len());
        assert_eq!(decode_fragment(&format!("#{fragment}")), Ok(Some(saved)));
    }

    #[test]
    fn fragments_without_shared_state_are_ignored() {
        assert_eq!(decode_fragment(""), Ok(None));
        assert_eq!(decode_fragment("#"), Ok(None));
        assert_eq!(decode_fragment("#section-2"), Ok(None));
    }

    #[test]
    fn damaged_or_hostile_fragments_are_errors_not_crashes() {
        let good = encode_fragment(&sample());
        let cut = &good[..good.len() / 2];
        assert!(decode_fragment(cut).unwrap_err().contains("damaged"));
        assert!(decode_fragment("#s=2.abc").unwrap_err().contains("another version"));
        assert!(decode_fragment("#s=1.<img src=x onerror=alert(1)>").unwrap_err().contains("base64url"));
        let not_state = miniz_oxide::deflate::compress_to_vec(b"[1, 2, 3]", 6);
        assert!(
            decode_fragment(&format!("s=1.{}", base64url_encode(&not_state))).unwrap_err().contains("not app state")
        );
        let not_utf8 = miniz_oxide::deflate::compress_to_vec(&[0xff, 0xfe, 0x00], 6);
        assert!(decode_fragment(&format!("s=1.{}", base64url_encode(&not_utf8))).unwrap_err().contains("UTF-8"));
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b' '; MAX_SHARED_BYTES + 10], 9);
        assert!(decode_fragment(&format!("s=1.{}", base64url_encode(&bomb))).unwrap_err().contains("16 MB"));
    }

    #[test]
    fn saved_state_missing_fields_take_defaults() {
        assert_eq!(Saved::from_json("{\"policy\": \"null\"}"), Ok(Saved { policy: "null".into(), ..Saved::default() }));
        assert!(Saved::from_json("[]").is_err());
    }
}
