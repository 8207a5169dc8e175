//! Fixed-width base62 over big-endian byte strings, the alphabet of every key body.

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes `bytes` as a big-endian number in exactly `width` base62 digits,
/// left-padded with `0`. `width` must be large enough for the input.
pub(crate) fn encode_fixed(bytes: &[u8], width: usize, out: &mut String) {
    let mut number = bytes.to_vec();
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        let mut remainder: u32 = 0;
        for byte in number.iter_mut() {
            let acc = (remainder << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8;
            remainder = acc % 62;
        }
        *slot = ALPHABET[remainder as usize];
    }
    out.extend(digits.iter().map(|&d| char::from(d)));
}

/// A CRC32 in exactly six base62 digits, without allocating.
pub(crate) fn encode_u32(mut value: u32) -> [u8; 6] {
    let mut digits = [b'0'; 6];
    for slot in digits.iter_mut().rev() {
        *slot = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    digits
}

pub(crate) fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(bytes: &[u8], width: usize) -> String {
        let mut s = String::new();
        encode_fixed(bytes, width, &mut s);
        s
    }

    #[test]
    fn encodes_known_values() {
        assert_eq!(enc(&[0, 0, 0, 0], 6), "000000");
        assert_eq!(enc(&[0, 0, 0, 61], 6), "00000z");
        assert_eq!(enc(&[0, 0, 0, 62], 6), "000010");
        assert_eq!(enc(&u32::MAX.to_be_bytes(), 6), "4gfFC3");
    }

    #[test]
    fn u32_encoding_matches_the_general_one() {
        for value in [0u32, 61, 62, 12_345_678, u32::MAX] {
            assert_eq!(
                encode_u32(value).as_slice(),
                enc(&value.to_be_bytes(), 6).as_bytes()
            );
        }
    }

    #[test]
    fn thirty_two_max_bytes_fit_in_43_digits() {
        let s = enc(&[0xff; 32], 43);
        assert_eq!(s.len(), 43);
        assert!(!s.starts_with('0') || s.chars().any(|c| c != '0'));
    }
}
