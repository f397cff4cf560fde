"""An employee's answers, one per phase of the guide, for whole interviews."""

from __future__ import annotations

# One answer per phase, each carrying what the guide looks for in that phase.
FRENCH_ANSWERS = [
    "oui",
    "Je suis auxiliaire de vie sociale, je m'occupe de personnes âgées à domicile.",
    "Hier matin chez Mme R., elle était inquiète parce que sa fille ne l'appelait plus.",
    "Je me suis assise avec elle, je l'ai laissée parler, puis j'ai fait la toilette.",
    "Sa fille était au téléphone ensuite ; ma collègue infirmière est passée aussi.",
    "Ça lui a apporté du calme, et moi j'ai senti qu'on avait confiance.",
    "Normalement la toilette dure 30 minutes mais en réalité j'ai dépassé de 20 minutes.",
    "L'application du planning ne sait pas que je reste plus longtemps.",
    "Oui, c'est juste.",
    "Non, c'est tout.",
]


# One answer per phase before the closing, in French and English (the French: FRENCH_ANSWERS').
PHASE_ANSWERS = {
    "fr": FRENCH_ANSWERS[:8],
    "en": [
        "yes",
        "I am a home carer, I look after elderly people in their homes.",
        "Yesterday morning at Mrs R.'s, she was worried because her daughter had not called.",
        "I sat down with her, let her talk, then helped her wash.",
        "Her daughter was on the phone afterwards; my colleague the nurse came by too.",
        "It brought her calm, and I felt that we trusted each other.",
        "Normally the wash takes 30 minutes but in practice I ran over by 20 minutes.",
        "The scheduling app does not know that I stay longer.",
    ],
}
