"""Jobs on remote services: one persisted state machine per job, driven by the orchestrator."""
