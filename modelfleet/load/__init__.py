"""Reading stack files: YAML with a source position for every node, the project on disk, merge of shared definitions."""
