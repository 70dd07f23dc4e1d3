#pragma once
// Stop requests from the launcher. SLURM sends SIGTERM on preemption, requeue or scancel, and the
// batch script forwards its early warning before the time limit as SIGUSR1; mpirun forwards both.
// The first such signal only raises a flag: training stops after its current step and checkpoints.
// A second one, later than a few seconds after the first, ends the process at once (the store is
// crash-safe, so that loses at most the epochs in flight); launchers that deliver one event twice
// within that window do not kill a checkpoint half-written.
namespace cluster {

// Installs the handlers for SIGTERM, SIGINT and SIGUSR1. Call once, before training starts.
void install_stop_handlers();
// Whether a stop signal has arrived. Async-signal-safe to set, cheap to read every step.
bool stop_requested();
// The first stop signal received (SIGTERM, SIGINT, SIGUSR1), or 0.
int stop_signal();
// Raises the flag as if a signal had arrived (rank 0 tells a group to stop; tests).
void request_stop(int signal);
// Clears the flag (tests).
void clear_stop();

}  // namespace cluster
