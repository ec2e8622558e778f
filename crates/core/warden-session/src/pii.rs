//! Personal data in text a call sends out: payment card numbers (checked with the Luhn sum, so
//! order numbers and timestamps do not count) and US social security numbers in their written
//! form. Secrets (keys, tokens) are the content scanner's job; this is the personal kind.

/// Kinds of personal data found in `text`, each once, in a fixed order.
pub fn pii_kinds(text: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if has_card_number(text) {
        out.push("payment_card");
    }
    if has_ssn(text) {
        out.push("ssn");
    }
    out
}

/// A run of 13 to 19 digits, optionally grouped by single spaces or dashes, that passes Luhn.
fn has_card_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut digits: Vec<u8> = Vec::with_capacity(19);
        let mut j = i;
        while j < b.len() && digits.len() <= 19 {
            let c = b[j];
            if c.is_ascii_digit() {
                digits.push(c - b'0');
                j += 1;
            } else if (c == b' ' || c == b'-')
                && j + 1 < b.len()
                && b[j + 1].is_ascii_digit()
                && j > i
                && b[j - 1].is_ascii_digit()
            {
                j += 1;
            } else {
                break;
            }
        }
        let ends_clean = j >= b.len() || !b[j].is_ascii_alphanumeric();
        if ends_clean && (13..=19).contains(&digits.len()) && luhn(&digits) && !all_same(&digits) {
            return true;
        }
        i = j.max(i + 1);
    }
    false
}

fn all_same(d: &[u8]) -> bool {
    d.windows(2).all(|w| w[0] == w[1])
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(k, &d)| {
            let d = u32::from(d);
            if k % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `ddd-dd-dddd` not inside a longer number, with the ranges the SSA never issues excluded.
fn has_ssn(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 11 {
        return false;
    }
    for i in 0..=b.len() - 11 {
        let w = &b[i..i + 11];
        let shape = w.iter().enumerate().all(|(k, c)| match k {
            3 | 6 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
        if !shape {
            continue;
        }
        let before = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'-');
        let after = i + 11 == b.len() || !(b[i + 11].is_ascii_alphanumeric() || b[i + 11] == b'-');
        let area = &w[0..3];
        let invalid = area == b"000"
            || area == b"666"
            || area[0] == b'9'
            || &w[4..6] == b"00"
            || &w[7..11] == b"0000";
        if before && after && !invalid {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_and_ssns_are_found() {
        assert_eq!(
            pii_kinds("card 4543 7987 5987 1234? no: 4111 1111 1111 1111"),
            vec!["payment_card"]
        );
        assert_eq!(
            pii_kinds("My social security number is 123-45-6789"),
            vec!["ssn"]
        );
        assert_eq!(
            pii_kinds("4111-1111-1111-1111 and 078-05-1120"),
            vec!["payment_card", "ssn"]
        );
    }

    #[test]
    fn numbers_that_are_not_personal_are_not() {
        for t in [
            "order 1234567890123 shipped",            // fails Luhn
            "timestamp 1700000000000",                // fails Luhn
            "tracking 0000000000000000",              // one digit repeated
            "date 2022-02-22 and phone 555-123-4567", // neither shape
            "build 000-12-3456 and 987-65-4321",      // ranges never issued
            "version 1.2.3-45-6789abc",               // inside a longer token
        ] {
            assert_eq!(pii_kinds(t), Vec::<&str>::new(), "{t}");
        }
    }
}
