"""Static site generator for government replies to proposals and suggestions (建议提案办理复文).

The pipeline, one module per stage:
read (bytes → text) → clean (PDF text → paragraphs) → extract (→ Reply) → classify (themes)
→ index (groupings) → render (templates/ → docs/) → site (MkDocs).
`pipeline` runs the stages; `cli` is the command line.
"""
