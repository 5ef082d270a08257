//! Reading a CSV file with a header row into a table of text cells, and turning
//! columns of it into numbers with errors that point at the line and column.
//!
//! Cells stay text until a column is asked for, so that a loader can read string
//! categories (ACIC's letters) and numbers from the same file.

use std::path::{Path, PathBuf};

use super::alloc;
use super::error::DataError;
use crate::suggest::did_you_mean;

/// Cells read as missing: empty, R's and pandas' spellings, Stata's '.'.
const MISSING: [&str; 6] = ["", "NA", "NaN", "nan", "N/A", "."];

/// A CSV file as text cells, row-major, with the file line of each row for errors.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub path: PathBuf,
    pub headers: Vec<String>,
    rows: Vec<Vec<String>>,
    lines: Vec<u64>,
}

impl Table {
    /// Parse `bytes` (the content of `path`); `path` is only used in messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Table, DataError> {
        Table::parse_named(path, bytes, None)
    }

    /// `parse`, where `columns` (when given) names the fields of a file without
    /// a header row, whose first line is then data.
    pub fn parse_named(path: &Path, bytes: &[u8], columns: Option<&[String]>) -> Result<Table, DataError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(DataError::Empty { path: path.to_path_buf() });
        }
        let mut reader = ::csv::ReaderBuilder::new().has_headers(columns.is_none()).from_reader(bytes);
        let headers = match columns {
            Some(names) => names.to_vec(),
            None => reader
                .headers()
                .map_err(|e| malformed(path, 1, &e, true))?
                .iter()
                .map(|h| h.trim().to_string())
                .collect::<Vec<_>>(),
        };
        let mut seen = std::collections::HashMap::new();
        for (j, h) in headers.iter().enumerate() {
            if let Some(first) = seen.insert(h.as_str(), j) {
                return Err(DataError::DuplicateColumn {
                    path: path.to_path_buf(),
                    column: h.clone(),
                    first: first + 1,
                    second: j + 1,
                });
            }
        }
        let (mut rows, mut lines) = (Vec::new(), Vec::new());
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                malformed(path, line, &e, columns.is_none())
            })?;
            // The reader holds later rows to the first one's length; the first
            // one is held to the names here.
            if columns.is_some() && rows.is_empty() && record.len() != headers.len() {
                return Err(DataError::ColumnCount {
                    path: path.to_path_buf(),
                    line: record.position().map_or(1, |p| p.line()),
                    named: headers.len(),
                    found: record.len(),
                });
            }
            // The two lists grow with the file: fallibly, so a file too large
            // for the machine is an error rather than an abort.
            alloc::reserve_one(&mut lines, "the data file's rows")?;
            alloc::reserve_one(&mut rows, "the data file's rows")?;
            lines.push(record.position().map_or(0, |p| p.line()));
            rows.push(record.iter().map(|c| c.trim().to_string()).collect());
        }
        if rows.is_empty() {
            return Err(DataError::NoRows { path: path.to_path_buf() });
        }
        Ok(Table { path: path.to_path_buf(), headers, rows, lines })
    }

    pub fn n_rows(&self) -> usize {
        self.rows.len()
    }

    /// Position of column `name`, or an error that suggests a close header.
    pub fn column_index(&self, name: &str) -> Result<usize, DataError> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| DataError::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            suggestion: did_you_mean(name, self.headers.iter().map(String::as_str)),
        })
    }

    /// The text cells of column `name`.
    pub fn text(&self, name: &str) -> Result<Vec<&str>, DataError> {
        let j = self.column_index(name)?;
        alloc::collect(self.rows.iter().map(|r| r[j].as_str()), "a column's cells")
    }

    /// Column `name` as numbers; missing cells become NaN.
    pub fn numeric(&self, name: &str) -> Result<Vec<f64>, DataError> {
        let j = self.column_index(name)?;
        let mut values = alloc::with_capacity(self.rows.len(), "a data column")?;
        for (i, r) in self.rows.iter().enumerate() {
            values.push(self.parse_cell(i, name, &r[j])?);
        }
        Ok(values)
    }

    /// Column `name` as the codes of its text levels (0, 1, ... in byte order of
    /// the distinct non-missing cells; missing cells become NaN) and the levels.
    pub fn levels(&self, name: &str) -> Result<(Vec<f64>, Vec<String>), DataError> {
        let j = self.column_index(name)?;
        let mut levels: Vec<&str> = self.rows.iter().map(|r| r[j].as_str()).filter(|c| !MISSING.contains(c)).collect();
        levels.sort_unstable();
        levels.dedup();
        let mut codes = alloc::with_capacity(self.rows.len(), "a data column")?;
        for r in &self.rows {
            let cell = r[j].as_str();
            codes.push(levels.binary_search(&cell).map_or(f64::NAN, |k| k as f64));
        }
        Ok((codes, levels.into_iter().map(str::to_string).collect()))
    }

    /// The file line of data row `row` (the header is line 1).
    pub fn line(&self, row: usize) -> u64 {
        self.lines[row]
    }

    /// Keep the rows whose flag is true, in order.
    pub fn retain_rows(&mut self, keep: &[bool]) {
        let mut flags = keep.iter();
        self.rows.retain(|_| flags.next().copied().unwrap_or(false));
        let mut flags = keep.iter();
        self.lines.retain(|_| flags.next().copied().unwrap_or(false));
    }

    /// Append the rows of `other`, matching columns by name.
    pub fn append(&mut self, other: &Table) -> Result<(), DataError> {
        let order = self.headers.iter().map(|h| other.column_index(h)).collect::<Result<Vec<_>, _>>()?;
        for (row, line) in other.rows.iter().zip(&other.lines) {
            self.rows.push(order.iter().map(|&j| row[j].clone()).collect());
            self.lines.push(*line);
        }
        Ok(())
    }

    fn parse_cell(&self, row: usize, column: &str, cell: &str) -> Result<f64, DataError> {
        if MISSING.contains(&cell) {
            return Ok(f64::NAN);
        }
        cell.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| DataError::NotNumeric {
            path: self.path.clone(),
            line: self.line(row),
            column: column.to_string(),
            value: cell.to_string(),
        })
    }
}

fn malformed(path: &Path, line: u64, error: &::csv::Error, header: bool) -> DataError {
    let like = if header { "the header" } else { "the first row" };
    let message = match error.kind() {
        ::csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("expected {expected_len} fields like {like}, found {len}")
        }
        ::csv::ErrorKind::Utf8 { .. } => "the line is not valid UTF-8".to_string(),
        _ => error.to_string(),
    };
    DataError::Malformed { path: path.to_path_buf(), line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        Table::parse(Path::new("t.csv"), text.as_bytes()).unwrap()
    }

    #[test]
    fn reads_numbers_and_missing_cells() {
        let t = table("a,b\n1,NA\n2.5,\n-3e2,.\n");
        assert_eq!(t.numeric("a").unwrap(), vec![1.0, 2.5, -300.0]);
        assert!(t.numeric("b").unwrap().iter().all(|v| v.is_nan()));
        assert_eq!(t.line(2), 4);
    }

    #[test]
    fn retain_and_append_keep_lines_with_rows() {
        let mut t = table("a,b\n1,2\n3,4\n5,6\n");
        t.retain_rows(&[true, false, true]);
        assert_eq!(t.numeric("a").unwrap(), vec![1.0, 5.0]);
        assert_eq!(t.line(1), 4);
        t.append(&table("b,a\n8,7\n")).unwrap();
        assert_eq!(t.numeric("a").unwrap(), vec![1.0, 5.0, 7.0]);
        assert_eq!(t.numeric("b").unwrap(), vec![2.0, 6.0, 8.0]);
    }

    #[test]
    fn named_columns_read_a_file_without_a_header() {
        let names = ["t".to_string(), "y".to_string()];
        let t = Table::parse_named(Path::new("t.csv"), b"1,2.5\n0,3\n", Some(&names)).unwrap();
        assert_eq!(t.numeric("y").unwrap(), vec![2.5, 3.0]);
        assert_eq!(t.line(0), 1);
        let err = Table::parse_named(Path::new("t.csv"), b"1,2,3\n", Some(&names)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: line 1: `columns` names 2 columns but the line has 3 fields; name every field of a row, in order"
        );
        let err = Table::parse_named(Path::new("t.csv"), b"1,2\n3\n", Some(&names)).unwrap_err();
        assert_eq!(err.to_string(), "t.csv: line 2: expected 2 fields like the first row, found 1");
    }

    #[test]
    fn infinite_values_are_not_numbers() {
        let t = table("a\ninf\n");
        assert!(matches!(t.numeric("a"), Err(DataError::NotNumeric { line: 2, .. })));
    }
}
