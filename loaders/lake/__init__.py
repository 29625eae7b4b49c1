"""The lake: its layout (``layout``), its storage on a folder or S3 (``storage``), and the
landing receipts kept beside what landed (``receipts``)."""
