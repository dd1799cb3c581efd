"""The optional language-model path: settings, retrieval, prompts, the reader."""
