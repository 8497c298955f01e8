//! The parts of `hitl-local up` that are not the library's: its options, its listeners, and
//! the stand-ins it sets up.

pub mod echo;
pub mod listen;
pub mod options;
pub mod standins;
