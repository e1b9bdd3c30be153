"""Reading plan documents (.txt, .docx) into paragraphs with formatting. Never imports Qt."""
