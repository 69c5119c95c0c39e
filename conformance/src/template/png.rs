//! Valid PNG images made by hand for test fixtures (a few chunks and a CRC) rather than
//! pulling an image crate into the harness.

use crate::template::functions::MAX_IMAGE_BYTES;

/// A valid 1×1 PNG whose colour follows `seed`, padded with a private ancillary chunk to at
/// least `size` bytes (at most [`MAX_IMAGE_BYTES`]). Hand-made (a few chunks and a CRC) rather
/// than pulling an image crate into the harness for test fixtures.
pub fn png(seed: usize, size: usize) -> Result<Vec<u8>, String> {
    if size > MAX_IMAGE_BYTES {
        return Err(format!(
            "an image of {size} bytes is over the limit of {MAX_IMAGE_BYTES}"
        ));
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    // IHDR: 1×1, 8-bit RGB.
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])?;
    // Reduced first, so that no seed overflows (the same colours as `seed * k % 256`).
    let low = seed % 256;
    let rgb = [
        (low * 67 % 256) as u8,
        (low * 131 % 256) as u8,
        (low * 199 % 256) as u8,
    ];
    // One scanline (filter byte 0, then RGB) in a zlib stream with one stored block.
    let raw = [0, rgb[0], rgb[1], rgb[2]];
    let mut zlib = vec![
        0x78,
        0x01,
        0x01,
        raw.len() as u8,
        0,
        !(raw.len() as u8),
        0xFF,
    ];
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    chunk(&mut out, b"IDAT", &zlib)?;
    // `seED` keeps images of the same colour distinct; `paDd` brings the size up.
    chunk(&mut out, b"seED", &(seed as u64).to_be_bytes())?;
    let fixed = out.len() + 12 + 12;
    if size > fixed {
        chunk(&mut out, b"paDd", &vec![0u8; size - fixed])?;
    }
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

/// Appends one PNG chunk: length, kind, data, CRC. PNG lengths are 32-bit.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Result<(), String> {
    let length = u32::try_from(data.len())
        .map_err(|_| format!("a PNG chunk of {} bytes is over 4 GiB", data.len()))?;
    out.extend_from_slice(&length.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
    Ok(())
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_carry_their_length_and_crc() {
        let mut out = Vec::new();
        assert!(chunk(&mut out, b"teST", &[1, 2, 3]).is_ok());
        assert_eq!(&out[..4], &[0, 0, 0, 3]);
        assert!(png(1, MAX_IMAGE_BYTES + 1).is_err());
    }
}
