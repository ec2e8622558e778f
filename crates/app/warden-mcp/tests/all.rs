//! The MCP gateway with real processes: test MCP servers written with rmcp, the proxy between
//! them and real MCP clients, a real monitor, and the npm reference filesystem server.

// `cfg(test)` marks the helpers as test code, where clippy.toml allows unwrap and panics.
#[cfg(test)]
mod suite;
