"""The interview: the guide, the session's turn loop, memory within a budget, safety."""
