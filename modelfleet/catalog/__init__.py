"""Facts the compiler knows, shared by the stages: engine flags by version, KServe builtin runtimes."""
