//! Real sandboxed processes, with the static analysis out of the picture: the sandbox is called
//! directly, so everything refused here is refused by the kernel (and the egress proxy) alone.

mod attacks;
mod helpers;
mod neighbours;
mod network;
mod spec;
