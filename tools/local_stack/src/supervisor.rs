//! Child processes never outlive the local stack, even if it is killed with SIGKILL, and the
//! stack alone decides when they stop.

/// Ties a child to the local stack (Linux): its own process group, so a Ctrl-C in the terminal
/// reaches only the stack, which then stops its children in order (instead of every function
/// dying at once and reading as a crash); and SIGTERM from the kernel if the stack dies.
pub fn tie_to_stack(command: &mut tokio::process::Command) {
    #[cfg(unix)]
    command.process_group(0);
    #[cfg(target_os = "linux")]
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}
