//! Numpy archives written by the tests themselves: `.npy` bytes by the format's
//! specification (magic, version 1.0, a header dict padded to 64 bytes, raw
//! values), zipped stored or deflated, so the suite needs no numpy.

use std::io::Write;

/// A little-endian f64 `.npy` of `shape` from `values` given in C order,
/// stored in C order or (`fortran`) in Fortran order.
pub fn npy_f64(shape: &[usize], values: &[f64], fortran: bool) -> Vec<u8> {
    let stored = if fortran { to_fortran(shape, values) } else { values.to_vec() };
    npy_raw("<f8", shape, fortran, &stored.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())
}

/// A little-endian i64 `.npy` (C order).
pub fn npy_i64(shape: &[usize], values: &[i64]) -> Vec<u8> {
    npy_raw("<i8", shape, false, &values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())
}

/// A `.npy` with any descriptor and raw data bytes.
pub fn npy_raw(descr: &str, shape: &[usize], fortran: bool, data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let order = if fortran { "True" } else { "False" };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n', padded to 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// The values of a C-order array rearranged into Fortran (column-major) order.
fn to_fortran(shape: &[usize], values: &[f64]) -> Vec<f64> {
    let n: usize = shape.iter().product();
    let mut out = vec![0.0; n];
    for (c_index, v) in values.iter().enumerate() {
        // Multi-index from the C index, then the Fortran index from it.
        let mut rest = c_index;
        let mut idx = vec![0; shape.len()];
        for a in (0..shape.len()).rev() {
            idx[a] = rest % shape[a];
            rest /= shape[a];
        }
        let mut f_index = 0;
        for a in (0..shape.len()).rev() {
            f_index = f_index * shape[a] + idx[a];
        }
        out[f_index] = *v;
    }
    out
}

/// A zip of `members` (name without `.npy`, bytes), deflated or stored.
pub fn npz(members: &[(&str, Vec<u8>)], deflated: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflated { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in members {
        zip.start_file(format!("{name}.npy"), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
