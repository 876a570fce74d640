"""The application conversation: the form's questions, its documents, the summary and Submit."""
