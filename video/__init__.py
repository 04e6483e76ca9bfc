"""Video domain: label the activity in clips (frames -> per-frame CNN -> LSTM -> class)."""
