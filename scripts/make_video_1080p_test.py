"""Write a 60-second 1920x1080 30 fps mp4 (moving pattern) for the memory check of `suite label`.

usage: python scripts/make_video_1080p_test.py OUT.mp4 [SECONDS]
"""
import sys

import cv2
import numpy as np

out, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
w, h, fps = 1920, 1080, 30
writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
base = cv2.resize(np.random.default_rng(0).integers(0, 255, (27, 48, 3), dtype=np.uint8), (w, h))
for i in range(int(seconds * fps)):
    frame = np.roll(base, 8 * i, axis=1)
    cv2.circle(frame, (100 + (i * 5) % (w - 200), h // 2), 80, (255, 255, 255), -1)
    writer.write(frame)
writer.release()
