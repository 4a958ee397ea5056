"""Word pools for names, handles, article text and disclosures (no randomness here)."""

from __future__ import annotations

import re
import unicodedata

COUNTRIES = ("FR", "DE", "GB", "ES", "IT", "US", "NL", "BE", "CH", "CA", "IE", "AT")
COUNTRY_P = (0.19, 0.15, 0.14, 0.10, 0.10, 0.17, 0.04, 0.03, 0.03, 0.02, 0.015, 0.015)
LANG_OF = {"FR": "fr", "DE": "de", "GB": "en", "ES": "es", "IT": "it", "US": "en", "NL": "nl",
           "BE": "fr", "CH": "de", "CA": "en", "IE": "en", "AT": "de"}
TLD_OF = {"FR": ".fr", "DE": ".de", "GB": ".co.uk", "ES": ".es", "IT": ".it", "US": ".com",
          "NL": ".nl", "BE": ".be", "CH": ".ch", "CA": ".ca", "IE": ".ie", "AT": ".at"}
CURRENCY_OF = {"GB": "GBP", "US": "USD", "CA": "USD"}

PUB_PATTERNS = {
    "fr": ("Le {W}", "La {W} {T}", "{T} Mag", "L'Écho {T}", "Le Journal du {T}", "{W} {T}",
           "Les Carnets {T}", "{T} & Co"),
    "de": ("{T} Zeitung", "{W} {T}", "{T} Magazin", "{T}welt", "Der {W}", "{T} Aktuell", "{T}blog"),
    "en": ("The {W} {T}", "{T} Insider", "{T} Weekly", "Daily {T}", "{W} {T}", "{T} Hub",
           "The {T} Report", "{T} Guide"),
    "es": ("El {W} {T}", "Diario {T}", "{T} Hoy", "La {W}", "Revista {T}", "{T} y Más"),
    "it": ("Il {W} {T}", "{T} Oggi", "La {W}", "Corriere {T}", "{T} Magazine", "{T} Italia"),
    "nl": ("De {W}", "{T} Nieuws", "{T} Vandaag", "Het {T} Blad"),
}
PUB_WORDS = {
    "fr": ("Monde", "Parisien", "Figaro", "Courrier", "Vigie", "Boussole", "Atelier", "Gazette",
           "Quotidien", "Phare", "Réveil", "Horizon", "Chronique", "Sillon", "Comptoir"),
    "de": ("Spiegel", "Blick", "Kompass", "Kurier", "Bote", "Anzeiger", "Rundschau", "Leuchtturm",
           "Werkstatt", "Fokus"),
    "en": ("Morning", "Evening", "Modern", "Urban", "Northern", "Bright", "Honest", "Open", "Little",
           "Wild", "Golden", "Clever", "Pocket", "Digital"),
    "es": ("Mundo", "País", "Faro", "Brújula", "Diario", "Eco", "Taller", "Mirador"),
    "it": ("Corriere", "Faro", "Giornale", "Bussola", "Gazzetta", "Eco", "Sole", "Mattino"),
    "nl": ("Telegraaf", "Kompas", "Vuurtoren", "Krant", "Bode"),
}
FIRST = ("Clara", "Lucas", "Emma", "Hugo", "Léa", "Louis", "Chloé", "Jules", "Anna", "Max", "Lena",
         "Paul", "Mia", "Felix", "Sofia", "Leon", "Lucia", "Marco", "Giulia", "Pablo", "Olivia",
         "James", "Amelia", "Noah", "Isla", "Oscar", "Emily", "Jack", "Zoé", "Nina", "Tom", "Eva",
         "Sam", "Alice", "Inès", "Matteo", "Elena", "Diego", "Carmen", "Luca", "Sara", "Ben", "Ruby")
LAST = ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Müller", "Schmidt", "Schneider",
        "Fischer", "Weber", "Smith", "Jones", "Taylor", "Brown", "Wilson", "García", "López",
        "Martínez", "Sánchez", "Rossi", "Russo", "Ferrari", "Bianchi", "Romano", "de Vries",
        "Jansen", "Peeters", "Meier", "Huber", "Murphy", "O'Brien", "Lefèvre", "Fontaine")
BRAND_A = ("Nor", "Vel", "Lum", "Aur", "Kai", "Zen", "Sol", "Mar", "Oro", "Ver", "Ily", "Tal",
           "Bel", "Cor", "Fen", "Gal", "Hel", "Iso", "Jun", "Lyr", "Mon", "Nov", "Oak", "Pix",
           "Qua", "Ros", "Sav", "Tru", "Ult", "Vio", "Wex", "Xen", "Yum", "Zel")
BRAND_B = ("dia", "ora", "ix", "ona", "ella", "io", "ent", "ara", "ino", "ova", "ique", "ly",
           "wise", "hub", "labs", "go", "tek", "vita", "ness", "berg", "mont", "ville")
BRAND_SUFFIX = ("", "", "", " SA", " GmbH", " Ltd", " SAS", " S.p.A.", " Inc.", " Group")

PLATFORMS = {  # name -> (domain, profile url shape)
    "Instagram": ("instagram.com", "https://www.instagram.com/{h}/"),
    "YouTube": ("youtube.com", "https://www.youtube.com/@{h}"),
    "TikTok": ("tiktok.com", "https://www.tiktok.com/@{h}"),
    "X": ("x.com", "https://x.com/{h}"),
    "Twitch": ("twitch.tv", "https://www.twitch.tv/{h}"),
    "LinkedIn": ("linkedin.com", "https://www.linkedin.com/in/{h}"),
    "Apple Podcasts": ("podcasts.apple.com", "https://podcasts.apple.com/podcast/{h}/id{n}"),
    "Spotify": ("open.spotify.com", "https://open.spotify.com/show/{s}"),
    "Facebook": ("facebook.com", "https://www.facebook.com/{h}"),
    "Pinterest": ("pinterest.com", "https://www.pinterest.com/{h}/"),
}

DISCLOSURE = {
    "en": ("Sponsored", "Paid partnership with {b}", "This post is sponsored by {b}",
           "In partnership with {b}", "Ad"),
    "fr": ("Sponsorisé", "Article sponsorisé", "en partenariat avec {b}", "Contenu sponsorisé par {b}",
           "Publicité"),
    "de": ("Anzeige", "in Zusammenarbeit mit {b}", "Werbung", "Gesponserter Beitrag"),
    "es": ("Patrocinado", "Contenido patrocinado por {b}", "en colaboración con {b}", "Publicidad"),
    "it": ("Contenuto sponsorizzato", "in collaborazione con {b}", "Sponsorizzato", "Pubblicità"),
    "nl": ("Gesponsord", "in samenwerking met {b}", "Advertentie"),
}
READ_MORE = {"en": "Read more", "fr": "Lire la suite", "de": "Weiterlesen", "es": "Leer más",
             "it": "Leggi di più", "nl": "Lees meer"}

FILLER = {
    "en": ("we tested", "in our experience", "the best", "this season", "what you need to know",
           "a closer look at", "how to choose", "our favourite", "for beginners", "step by step"),
    "fr": ("nous avons testé", "à notre avis", "le meilleur", "cette saison", "ce qu'il faut savoir",
           "zoom sur", "comment choisir", "notre coup de cœur", "pour débutants", "pas à pas"),
    "de": ("wir haben getestet", "unserer Meinung nach", "das Beste", "diese Saison",
           "was Sie wissen müssen", "im Überblick", "so wählen Sie", "unser Favorit", "für Einsteiger"),
    "es": ("lo hemos probado", "en nuestra opinión", "lo mejor", "esta temporada", "lo que debes saber",
           "a fondo", "cómo elegir", "nuestro favorito", "para principiantes"),
    "it": ("abbiamo provato", "secondo noi", "il migliore", "questa stagione", "cosa sapere",
           "da vicino", "come scegliere", "il nostro preferito", "per principianti"),
    "nl": ("we hebben getest", "volgens ons", "het beste", "dit seizoen", "wat je moet weten"),
}

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def slug(s: str, sep: str = "-") -> str:
    s = strip_accents(s).lower()
    s = re.sub(r"[^a-z0-9]+", sep, s).strip(sep)
    return s or "x"


def topic_word(name: str) -> str:
    """A short word from a topic name for titles and handles ('Food & Drink' -> 'Food')."""
    w = re.split(r"[ &,/\-]+", name.strip())
    w = [x for x in w if len(x) > 2 and x.lower() not in {"and", "the", "for"}]
    return (w[0] if w else name).capitalize()
