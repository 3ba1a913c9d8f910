//! Operator input of `rcs-sim terminal`: stdin, line by line, each line capped in size.
//!
//! Lines are read on a thread of their own and handed over a channel; the commands in them are
//! parsed elsewhere (`commands`).

use std::io::{BufRead, Read};

use tokio::sync::mpsc;

/// Longest stdin line read; longer lines are refused.
const MAX_LINE: usize = 64 * 1024;

/// Lines of stdin, read on a thread of their own: a read blocked on a terminal must not keep
/// the runtime from shutting down. The channel closes at EOF or on a read error.
pub(crate) fn stdin_lines() -> mpsc::Receiver<Result<String, String>> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            let line = match read_line(&mut input) {
                Ok(Some(line)) => line,
                Ok(None) => return,
                Err(err) => {
                    let _ = tx.blocking_send(Err(format!("failed to read stdin: {err}")));
                    return;
                }
            };
            if tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// One line of at most [`MAX_LINE`] bytes; a longer one is skipped and reported.
fn read_line(input: &mut impl BufRead) -> std::io::Result<Option<Result<String, String>>> {
    let mut buf = Vec::new();
    let n = Read::take(&mut *input, MAX_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
        // Skip the rest of the overlong line.
        let mut rest = Vec::new();
        while Read::take(&mut *input, MAX_LINE as u64).read_until(b'\n', &mut rest)? > 0 {
            if rest.last() == Some(&b'\n') {
                break;
            }
            rest.clear();
        }
        return Ok(Some(Err(format!(
            "failed to read a command: a line is longer than {MAX_LINE} bytes"
        ))));
    }
    Ok(Some(String::from_utf8(buf).map_err(|_| {
        "failed to read a command: the line is not UTF-8".to_owned()
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_capped() {
        let mut input = std::io::Cursor::new(b"register\npager bob hi".to_vec());
        assert_eq!(
            read_line(&mut input).unwrap(),
            Some(Ok("register\n".to_owned()))
        );
        assert_eq!(
            read_line(&mut input).unwrap(),
            Some(Ok("pager bob hi".to_owned()))
        );
        assert_eq!(read_line(&mut input).unwrap(), None);
        let mut long = vec![b'x'; MAX_LINE * 2 + 10];
        long.extend_from_slice(b"\nhelp\n");
        let mut input = std::io::Cursor::new(long);
        assert!(read_line(&mut input).unwrap().unwrap().is_err());
        assert_eq!(
            read_line(&mut input).unwrap(),
            Some(Ok("help\n".to_owned()))
        );
        let mut input = std::io::Cursor::new(b"\xff\n".to_vec());
        assert!(read_line(&mut input).unwrap().unwrap().is_err());
    }
}
