"""Online handwriting domain: pen strokes -> point features -> BiLSTM-CTC -> text."""
