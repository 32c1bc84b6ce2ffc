//! Reading an uploaded catalogue file into a header and rows: UTF-8 with or
//! without a byte-order mark, CRLF or LF, quoted fields, and `,`, `;` or tab
//! as the delimiter, told from the header line. Rows are numbered as a
//! spreadsheet shows them: the header is row 1.

use super::FileProblem;

/// A file's cells, before any column means anything.
#[derive(Debug, Clone)]
pub struct Table {
    pub delimiter: u8,
    pub header: Vec<String>,
    /// Each row with its spreadsheet row number (the first data row is 2),
    /// its cells kept as the reader read them: one buffer per row.
    pub rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    /// Prices use a decimal comma (`12,50`): files delimited by `;` come from
    /// spreadsheets set to such a locale.
    pub fn decimal_comma(&self) -> bool {
        self.delimiter == b';'
    }
}

/// Reads the whole file; every problem that makes it unreadable is named,
/// ragged rows with their row numbers.
pub fn read_table(bytes: &[u8]) -> Result<Table, Vec<FileProblem>> {
    let text = decode(bytes).map_err(|p| vec![p])?;
    let delimiter = delimiter_of(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        None => return Err(vec![FileProblem::file("The file has no header row")]),
        Some(Err(e)) => return Err(vec![FileProblem::row(1, None, csv_message(&e))]),
        Some(Ok(record)) => record.iter().map(|c| c.trim().to_owned()).collect(),
    };
    if header.iter().all(String::is_empty) {
        return Err(vec![FileProblem::row(
            1,
            None,
            "The header row is empty".to_owned(),
        )]);
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (index, record) in records.enumerate() {
        let number = index + 2;
        match record {
            Err(e) => problems.push(FileProblem::row(number, None, csv_message(&e))),
            Ok(record) if record.iter().all(|c| c.trim().is_empty()) => {}
            Ok(record) if record.len() != header.len() => problems.push(FileProblem::row(
                number,
                None,
                format!(
                    "This row has {} cells but the header has {}",
                    record.len(),
                    header.len()
                ),
            )),
            Ok(record) => rows.push((number, record)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if rows.is_empty() {
        return Err(vec![FileProblem::file(
            "The file has a header row but no items under it",
        )]);
    }
    Ok(Table {
        delimiter,
        header,
        rows,
    })
}

/// The text of the file: UTF-8, the byte-order mark dropped.
fn decode(bytes: &[u8]) -> Result<&str, FileProblem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileProblem::file("The file is empty"));
    }
    if bytes.contains(&0) {
        return Err(FileProblem::file(
            "This is not a CSV file: it holds binary data (a NUL byte)",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        FileProblem::file(format!(
            "The file is not UTF-8 text (the first byte that isn't is at offset {}); \
             save it as \"CSV UTF-8\"",
            e.valid_up_to()
        ))
    })
}

/// `,`, `;` or tab: whichever the header line holds most of, outside quotes.
fn delimiter_of(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in text.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                for (delimiter, count) in &mut counts {
                    if byte == *delimiter {
                        *count += 1;
                    }
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .max_by_key(|(delimiter, count)| (*count, *delimiter == b','))
        .map_or(b',', |(delimiter, _)| *delimiter)
}

fn csv_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "This row is not UTF-8 text".to_owned(),
        _ => format!("This row can't be read as CSV: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_comes_from_the_header_line() {
        assert_eq!(delimiter_of("sku,name\nA;B,C\n"), b',');
        assert_eq!(delimiter_of("sku;name;price\n"), b';');
        assert_eq!(delimiter_of("sku\tname\n"), b'\t');
        assert_eq!(delimiter_of("\"a;b\",c\n"), b',');
    }

    #[test]
    fn a_bom_crlf_and_quoted_newlines_are_read() {
        let table = read_table(b"\xEF\xBB\xBFsku,name\r\nA-1,\"Mug, \"\"big\"\"\nblue\"\r\n")
            .expect("readable");
        assert_eq!(table.header, ["sku", "name"]);
        let rows: Vec<(usize, Vec<&str>)> = table
            .rows
            .iter()
            .map(|(number, cells)| (*number, cells.iter().collect()))
            .collect();
        assert_eq!(rows, [(2, vec!["A-1", "Mug, \"big\"\nblue"])]);
    }

    #[test]
    fn unreadable_files_are_named() {
        for (bytes, says) in [
            (&b""[..], "empty"),
            (b"sku,name\n", "no items"),
            (b"sku,name\n\xff\xfe,x\n", "UTF-8"),
            (b"PK\x03\x04\x00\x00", "binary"),
        ] {
            let problems = read_table(bytes).expect_err("refused");
            assert!(problems[0].message.contains(says), "{:?}", problems);
        }
        let ragged = read_table(b"sku,name\nA,B\nC\n").expect_err("ragged");
        assert_eq!(ragged[0].row, Some(3));
    }
}
