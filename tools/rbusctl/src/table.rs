// SPDX-License-Identifier: GPL-2.0

//! Aligned tables for human output: text left-aligned, numbers right-aligned.

/// A table: a header row and rows of cells.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&'static str]) -> Self {
        Self {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are blank.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as lines, columns two spaces apart, without trailing blanks.
    pub fn render(&self) -> String {
        let columns = self.header.len();
        let cell = |row: &Vec<String>, c: usize| row.get(c).map_or("", String::as_str).to_string();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.len()).collect();
        // A column is numeric when it holds a number and nothing else but blanks and `-`.
        let mut numeric = vec![true; columns];
        let mut any_number = vec![false; columns];
        for row in &self.rows {
            for c in 0..columns {
                let s = cell(row, c);
                widths[c] = widths[c].max(s.chars().count());
                if s.parse::<u64>().is_ok() {
                    any_number[c] = true;
                } else if !(s.is_empty() || s == "-") {
                    numeric[c] = false;
                }
            }
        }
        for (n, any) in numeric.iter_mut().zip(&any_number) {
            *n &= *any;
        }
        let line = |cells: Vec<String>| {
            let mut out = String::new();
            for (c, s) in cells.iter().enumerate() {
                if c > 0 {
                    out.push_str("  ");
                }
                let pad = widths[c].saturating_sub(s.chars().count());
                if numeric[c] {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(s);
                } else {
                    out.push_str(s);
                    out.push_str(&" ".repeat(pad));
                }
            }
            out.trim_end().to_string() + "\n"
        };
        let mut out = line(self.header.iter().map(|h| h.to_string()).collect());
        for row in &self.rows {
            out.push_str(&line((0..columns).map(|c| cell(row, c)).collect()));
        }
        out
    }
}

/// Key and value lines, the keys padded to one width.
pub fn pairs(items: &[(&str, String)]) -> String {
    let width = items.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    items
        .iter()
        .map(|(k, v)| format!("{k:<width$}  {v}").trim_end().to_string() + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns() {
        let mut t = Table::new(&["NAME", "CALLS", "DRIVER"]);
        t.row(vec!["0-0010".into(), "5".into(), "rbus_demo".into()]);
        t.row(vec!["0-0040".into(), "1234".into(), "-".into()]);
        assert_eq!(
            t.render(),
            "NAME    CALLS  DRIVER\n0-0010      5  rbus_demo\n0-0040   1234  -\n"
        );
        let mut t = Table::new(&["CHANNEL", "I2C"]);
        t.row(vec!["-".into(), "i2c-0".into()]);
        assert_eq!(t.render(), "CHANNEL  I2C\n-        i2c-0\n");
        assert_eq!(
            pairs(&[("a", "1".into()), ("long", "".into())]),
            "a     1\nlong\n"
        );
    }
}
