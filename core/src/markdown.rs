//! Repository overviews: Markdown (tables, code, links, images, task lists, strikethrough)
//! rendered to HTML, then sanitised with ammonia's allow-list, so no script, event handler,
//! `javascript:` URL, iframe, form or style survives whatever the author wrote.

use pulldown_cmark::{html, Options, Parser};

/// Safe HTML for `markdown`.
pub fn to_safe_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_renders_tables_code_links_and_images() {
        let html = to_safe_html(
            "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```sh\ndocker run x\n```\n\n[docs](https://example.com) ![logo](https://example.com/l.png)",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(
            html.contains("<table>") && html.contains("<td>1</td>"),
            "{html}"
        );
        assert!(html.contains("<pre><code>docker run x"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://example.com" rel="noopener noreferrer nofollow">docs</a>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"<img src="https://example.com/l.png" alt="logo">"#),
            "{html}"
        );
    }

    #[test]
    fn scripts_handlers_javascript_urls_iframes_and_styles_are_removed() {
        let payloads = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<p style=\"position:fixed;top:0\">overlay</p>",
            "<style>body{display:none}</style>",
            "<svg><script>alert(1)</script></svg>",
            "<form action=\"https://evil.example\"><input name=p></form>",
            "<object data=\"x.swf\"></object>",
            "![x](javascript:alert(1))",
            "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>",
        ];
        for p in payloads {
            let html = to_safe_html(p).to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "javascript:",
                "<iframe",
                "style=",
                "<style",
                "<form",
                "<input",
                "<object",
                "data:text",
            ] {
                assert!(!html.contains(bad), "{p:?} left {bad:?}: {html}");
            }
        }
    }
}
