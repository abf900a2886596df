"""How work leaves the GUI thread: bounded executors and the task runner."""
