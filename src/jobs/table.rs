//! Aligned text tables for the human views.

/// Column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// Pads columns to their widest cell (by characters), two spaces apart, indented by two.
pub fn table(rows: &[Vec<String>], align: &[Align]) -> String {
    let cols = align.len();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols).map(width).collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(" ");
        for (i, cell) in row.iter().enumerate() {
            line.push(' ');
            let pad = widths[i] - cell.chars().count();
            match align[i] {
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
                Align::Right => {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A table whose first column is text and the rest as given by `numeric` columns' position:
/// every column left-aligned except those holding money or sizes.
pub fn render(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let align: Vec<Align> = (0..cols)
        .map(|i| {
            let numeric = rows.iter().skip(1).all(|r| {
                r[i].chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '$' || c == '-')
            });
            if numeric && rows.len() > 1 {
                Align::Right
            } else {
                Align::Left
            }
        })
        .collect();
    table(rows, &align)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &[cells(&["A", "1"]), cells(&["BBB", "100"])],
            &[Align::Left, Align::Right],
        );
        assert_eq!(t, "  A      1\n  BBB  100\n");
        let r = render(&[
            cells(&["SYM", "QTY"]),
            cells(&["SPY", "5"]),
            cells(&["TLT", "100"]),
        ]);
        assert_eq!(r, "  SYM  QTY\n  SPY    5\n  TLT  100\n");
    }
}
