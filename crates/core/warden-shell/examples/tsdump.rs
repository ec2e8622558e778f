//! Print the tree-sitter-bash tree of a command (a development aid).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let src = std::env::args().nth(1).unwrap_or_default();
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_bash::LANGUAGE.into())?;
    let t = p.parse(&src, None).ok_or("parse failed")?;
    fn walk(n: tree_sitter::Node, src: &str, d: usize, field: Option<&str>) {
        let text = &src[n.byte_range()];
        println!(
            "{}{}{} {:?}",
            "  ".repeat(d),
            field.map(|f| format!("{f}: ")).unwrap_or_default(),
            n.kind(),
            if n.child_count() == 0 || text.len() < 40 {
                text
            } else {
                "…"
            }
        );
        let mut c = n.walk();
        for (i, ch) in n.children(&mut c).enumerate() {
            walk(ch, src, d + 1, n.field_name_for_child(i as u32));
        }
    }
    walk(t.root_node(), &src, 0, None);
    Ok(())
}
