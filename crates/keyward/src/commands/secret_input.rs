//! Reading a secret from stdin (`keyward keys verify -`), so it never sits
//! in the shell's history or the process list.

use std::io::Read;

/// Longer than any key keyward hands out, and short enough to refuse a
/// file piped in by mistake without reading it all.
const MAX_BYTES: u64 = 4096;

/// One line: its trailing newline (`\n` or `\r\n`) is dropped; an empty
/// input, a second line or an over-long one is refused.
pub fn read_secret(input: impl Read) -> anyhow::Result<String> {
    let mut raw = Vec::new();
    input.take(MAX_BYTES + 1).read_to_end(&mut raw)?;
    if raw.len() as u64 > MAX_BYTES {
        anyhow::bail!("the key on stdin is longer than {MAX_BYTES} bytes");
    }
    let text = String::from_utf8(raw)
        .map_err(|_| anyhow::anyhow!("the key on stdin is not UTF-8 text"))?;
    let line = text
        .strip_suffix('\n')
        .map(|rest| rest.strip_suffix('\r').unwrap_or(rest))
        .unwrap_or(&text);
    if line.contains(['\n', '\r']) {
        anyhow::bail!("stdin holds more than one line; give the key alone");
    }
    if line.is_empty() {
        anyhow::bail!("stdin is empty; give the key on it, e.g. `keyward keys verify - < key.txt`");
    }
    Ok(line.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn one_line_without_its_newline() {
        assert_eq!(read_secret(&b"kw_abc\n"[..]).unwrap(), "kw_abc");
        assert_eq!(read_secret(&b"kw_abc\r\n"[..]).unwrap(), "kw_abc");
        assert_eq!(read_secret(&b"kw_abc"[..]).unwrap(), "kw_abc");
    }

    #[test]
    fn empty_multi_line_and_huge_inputs_are_refused() {
        for input in [
            &b""[..],
            b"\n",
            b"\r\n",
            b"kw_a\nkw_b",
            b"kw_a\n\n",
            b"kw\ra\n",
        ] {
            assert!(read_secret(input).is_err(), "{input:?}");
        }
        let huge = vec![b'a'; 5000];
        assert!(
            read_secret(&huge[..])
                .unwrap_err()
                .to_string()
                .contains("longer")
        );
        assert!(read_secret(&[0xff, 0xfe][..]).is_err());
    }
}
