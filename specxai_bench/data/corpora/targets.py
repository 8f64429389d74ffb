"""Published phonetic targets the synthetic corpus is built from.

Vowel F0 and F1-F4 means and /hVd/ durations: Hillenbrand, Getty, Clark & Wheeler (1995),
JASA 97(5), Table V (shared/reference/phonetics.md). Bandwidths: Klatt (1980) defaults.
"""

from __future__ import annotations

GROUPS = ("men", "women", "children")

VOWELS = ("iy", "ae", "ah", "aa", "uw")

# group -> vowel -> (F0, F1, F2, F3, F4) in Hz
VOWEL_TARGETS: dict[str, dict[str, tuple[float, float, float, float, float]]] = {
    "men": {
        "iy": (138, 342, 2322, 3000, 3657),
        "ae": (123, 588, 1952, 2601, 3624),
        "ah": (133, 623, 1200, 2550, 3557),
        "aa": (123, 768, 1333, 2522, 3687),
        "uw": (143, 378, 997, 2343, 3357),
    },
    "women": {
        "iy": (227, 437, 2761, 3372, 4352),
        "ae": (215, 669, 2349, 2972, 4290),
        "ah": (218, 753, 1426, 2933, 4092),
        "aa": (215, 936, 1551, 2815, 4299),
        "uw": (235, 459, 1105, 2735, 4115),
    },
    "children": {
        "iy": (246, 452, 3081, 3702, 4572),
        "ae": (228, 717, 2501, 3289, 4409),
        "ah": (236, 749, 1546, 3145, 4276),
        "aa": (229, 1002, 1688, 2950, 4307),
        "uw": (249, 494, 1345, 2988, 4320),
    },
}

# group -> vowel -> steady-state /hVd/ duration in ms (connected speech is ~0.6x these)
VOWEL_DURATIONS_MS: dict[str, dict[str, float]] = {
    "men": {"iy": 243, "ae": 278, "aa": 267, "ah": 188, "uw": 237},
    "women": {"iy": 306, "ae": 332, "aa": 323, "ah": 226, "uw": 303},
    "children": {"iy": 297, "ae": 322, "aa": 311, "ah": 234, "uw": 278},
}

# Klatt (1980) default bandwidths B1..B5, Hz
BANDWIDTHS = (80.0, 100.0, 160.0, 280.0, 600.0)

# F5 by group (Klatt: 4500-5000 for men; scaled for women and children)
F5 = {"men": 4700.0, "women": 5300.0, "children": 5800.0}

# Voicing classes (shared/reference/phonetics.md). Voiced includes voiced fricatives and nasals
# so that high-frequency noise alone does not separate the classes: F0 is the cue.
VOICELESS_FRICATIVES = ("s", "sh", "f", "th", "hh")
VOICELESS_STOPS = ("p", "t", "k")
VOICED_FRICATIVES = ("z", "zh", "v", "dh")
NASALS = ("m", "n")
VOICED = VOWELS + VOICED_FRICATIVES + NASALS
VOICELESS = VOICELESS_FRICATIVES + VOICELESS_STOPS

# Frication noise shape: (low Hz, high Hz) pass band for men; scaled up for women/children.
FRICATION_BANDS = {
    "s": (4000.0, 8000.0),
    "z": (4000.0, 8000.0),
    "sh": (2300.0, 4500.0),
    "zh": (2300.0, 4500.0),
    "f": (1500.0, 8500.0),
    "v": (1500.0, 8500.0),
    "th": (1500.0, 8500.0),
    "dh": (1500.0, 8500.0),
}

# Stop burst centre frequencies (men), Hz: labial low/diffuse, alveolar high, velar mid.
BURST_CENTRES = {"p": 900.0, "t": 4200.0, "k": 2000.0}

# Nasal murmur resonances (men), Hz: F1, F2, F3
NASAL_FORMANTS = {"m": (280.0, 1100.0, 2300.0), "n": (280.0, 1600.0, 2600.0)}

# Mean speaker scaling of formants relative to men (phonetics.md: women 1.15-1.20, children 1.25-1.35)
GROUP_FORMANT_SCALE = {"men": 1.0, "women": 1.17, "children": 1.3}
GROUP_F0 = {"men": 130.0, "women": 220.0, "children": 240.0}

# Typical speaking F0 ranges by group, Hz (shared/reference/phonetics.md): the hard corpus draws
# each speaker's mean F0 anywhere in these.
GROUP_F0_RANGE = {"men": (85.0, 180.0), "women": (165.0, 255.0), "children": (200.0, 350.0)}

# Consonant place for the formant transitions of a neighbouring vowel: index into the F2 loci
# (synthetic.F2_LOCI: labial, alveolar, velar); None = no oral constriction (/hh/: the vowel's own
# formants throughout). Dental and post-alveolar places share the alveolar and velar loci.
PLACE = {"p": 0, "f": 0, "v": 0, "m": 0, "t": 1, "s": 1, "z": 1, "th": 1, "dh": 1, "n": 1,
         "sh": 2, "zh": 2, "k": 2, "hh": None}
# Coronal consonants, after which American English /u/ is fronted (F2 1,300-1,800 Hz; phonetics.md)
CORONALS = ("t", "s", "z", "th", "dh", "n", "sh", "zh")
UW_FRONTED_F2 = (1300.0, 1800.0)  # men's range; scaled per speaker like every formant
# Neutral vowel (schwa) of men, F1-F4 Hz: where short vowels' formants drift (undershoot)
SCHWA = (500.0, 1500.0, 2500.0, 3500.0)
# Level of each consonant relative to the vowels around it in a context utterance (RMS, dB): the
# approximate order of English phone intensities (sibilants and nasals a few to ~12 dB below a vowel,
# stops and /f/ ~15 dB, /th/ the weakest); the easy corpus normalises each phone on its own instead.
CONSONANT_LEVEL_DB = {"sh": -5.0, "zh": -6.0, "m": -6.0, "n": -8.0, "s": -11.0, "z": -11.0, "t": -12.0,
                      "k": -12.0, "hh": -14.0, "p": -15.0, "f": -16.0, "v": -16.0, "dh": -20.0, "th": -22.0}
