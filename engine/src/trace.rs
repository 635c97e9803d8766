//! Traces (simulated agent call sequences) and simulation on a virtual clock.
