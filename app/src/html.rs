//! Escaping for the few places where Leptos writes text without escaping it (the content of
//! `<textarea>` and `<title>`, which HTML reads as raw text up to their closing tag).

/// `text` with `&`, `<`, `>` and quotes as character references.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            super::escape_text("</textarea><script>x('&')</script>"),
            "&lt;/textarea&gt;&lt;script&gt;x(&#39;&amp;&#39;)&lt;/script&gt;"
        );
        assert_eq!(super::escape_text("plain text é"), "plain text é");
    }
}
