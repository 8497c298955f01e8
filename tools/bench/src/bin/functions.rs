//! `hitl-bench-functions`: the binaries of the functions the bench runs, one a line, for
//! `make bench` to build in release before it starts the bench.

#[path = "../functions.rs"]
mod functions;

fn main() {
    for function in functions::ALL {
        println!("{}", function.binary);
    }
}
