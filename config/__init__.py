"""Typed configuration read from environment variables.

`get_config()` picks the class named by `NACHTWACHT_ENV` (development, testing, production).
Secrets that development may generate are kept in `instance/` and reused across restarts;
production refuses to start without real ones.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("NACHTWACHT_INSTANCE", ROOT / "instance"))


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used safely."""


def env_str(name: str, default: str | None = None) -> str | None:
    """Read a string variable; empty counts as unset."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_int(name: str, default: int) -> int:
    """Read an integer variable or fail with a clear message."""
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    """Read a float variable or fail with a clear message."""
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def env_priority_seconds(name: str, default: str) -> dict[str, int]:
    """Read seconds per priority, e.g. ``P1=60,P2=180``; a priority left out has no limit."""
    raw = env_str(name, default) or ""
    result: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, _, value = part.partition("=")
        key = key.strip().upper()
        if key not in ("P1", "P2", "P3", "P4") or not value.strip().isdigit():
            raise ConfigError(f"{name} must look like P1=60,P2=180; got {part!r}")
        result[key] = int(value)
    return result


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable (1/true/yes/on)."""
    raw = env_str(name)
    if raw is None:
        return default
    return raw.lower() in {"1", "true", "yes", "on"}


def instance_secret(filename: str, make) -> str:
    """Return a secret kept in instance/, generating it once (development only).

    The folder is the owner's alone (0700) and each secret file 0600, created so from the start.
    """
    INSTANCE.mkdir(mode=0o700, parents=True, exist_ok=True)
    INSTANCE.chmod(0o700)
    path = INSTANCE / filename
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(make())
    path.chmod(0o600)
    return path.read_text().strip()


MIN_KEY_BYTES = 32
PLACEHOLDERS = {"dev", "secret", "changeme", "change_me", "example", "test", "password", "x"}


# Keys that are public (this repository's tests): never good enough for production.
PUBLIC_KEYS = {"7PpCq9B0kXJt6zmMZ2p2wVn0iVrM6oU0qVxE8bqv7mA="}


def key_bytes(value: str) -> bytes | None:
    """The bytes a key written as hex or as URL-safe base64 stands for (None: neither)."""
    text = value.strip()
    if len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    try:
        decoded = base64.urlsafe_b64decode(text.encode())
    except (ValueError, binascii.Error):
        return None
    return decoded if base64.urlsafe_b64encode(decoded).decode() == text else None


def looks_random(raw: bytes) -> bool:
    """32 or more bytes that look drawn at random: many distinct values, and not text (a
    passphrase or a sentence written out in hex)."""
    printable = all(32 <= b < 127 for b in raw)
    return len(raw) >= MIN_KEY_BYTES and len(set(raw)) >= 20 and not printable


def is_placeholder(value: str) -> bool:
    """The example file's kind of value (`change-me…`), or a word nobody should use as a key."""
    lowered = value.strip().lower()
    return lowered.startswith(("change-me", "change_me")) or lowered in PLACEHOLDERS


def check_secret(name: str, value: str | None) -> str:
    """A production key: set, no placeholder, and at least 32 bytes that look random."""
    if not value:
        raise ConfigError(f"{name} must be set (flask --app wsgi keys generate prints a set)")
    if is_placeholder(value):
        raise ConfigError(f"{name} is a placeholder; generate one: flask --app wsgi keys generate")
    raw = key_bytes(value)
    if raw is None or not looks_random(raw) or value.strip() in PUBLIC_KEYS:
        raise ConfigError(
            f"{name} must hold at least {MIN_KEY_BYTES} random bytes, written as hex (64 "
            "characters) or base64; "
            "generate one: flask --app wsgi keys generate"
        )
    return value.strip()


def generate_keys() -> dict[str, str]:
    """A fresh set of every key production needs."""
    return {
        "SECRET_KEY": secrets.token_hex(32),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_hex(32),
        "AUDIT_KEY": secrets.token_hex(32),
    }


# Names of this machine a browser may use for a server started without PUBLIC_BASE_URL.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
WILDCARD_HOSTS = {"0.0.0.0", "::"}  # "every address": no name a browser could use
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """The browser's Origin for a URL: `scheme://host[:port]`, lower-case, no path, no default
    port (so `https://nw.example:443/` and `https://nw.example` are one origin)."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    scheme, host = parts.scheme.lower(), _bracketed((parts.hostname or "").lower())
    if scheme not in DEFAULT_PORTS or not host or port == -1:
        raise ConfigError(f"PUBLIC_BASE_URL must look like https://host[:port], got {url!r}")
    if port in (None, DEFAULT_PORTS[scheme]):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origins(public_base_url: str | None, host: str, port: int) -> tuple[str, ...]:
    """The origins whose pages may open the live feed (Socket.IO) and send forms.

    With PUBLIC_BASE_URL set (production always), only its origin. Without it (a development
    start), the server as `HOST`/`PORT` reach it: http on 127.0.0.1 and localhost, and HOST
    itself when it names one address. A wildcard HOST (0.0.0.0) adds no name: any page on the
    network could claim one, so a console opened from another machine needs PUBLIC_BASE_URL.
    """
    if public_base_url:
        return (origin_of(public_base_url),)
    names = list(LOOPBACK_HOSTS)
    if host.strip("[]") not in WILDCARD_HOSTS and host not in names:
        names.append(host)
    return tuple(dict.fromkeys(origin_of(f"http://{_bracketed(name)}:{port}") for name in names))


def _bracketed(host: str) -> str:
    """An IPv6 address as a URL writes it (`[::1]`); any other name as it is."""
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


class BaseConfig:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    MAX_CONTENT_LENGTH = 1024 * 1024
    SCHEDULER_ENABLED = False
    SMS_SEND_IMMEDIATELY = True
    LOGIN_RATE_LIMIT_DEFAULT = "10 per minute"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_CHECK_DEFAULT = False  # core.policies decides which requests need a token
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token
    WTF_CSRF_SSL_STRICT = False  # needs a Referer; core.policies checks origins without one
    BABEL_DEFAULT_LOCALE = "nl"
    LANGUAGES = ("nl", "en")
    RATELIMIT_HEADERS_ENABLED = True
    PASSWORD_HASH_METHOD = "scrypt"

    def __init__(self) -> None:
        self.read_environment()
        self.SQLALCHEMY_DATABASE_URI = self.DATABASE_URL
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.PERMANENT_SESSION_LIFETIME = self.SESSION_HOURS * 3600
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.BABEL_DEFAULT_TIMEZONE = self.TIMEZONE
        self.SECRET_KEY = self.secret_key()
        self.FIELD_ENCRYPTION_KEYS = self.field_keys()
        self.BLIND_INDEX_KEY = self.blind_index_key()
        self.AUDIT_KEY = self.audit_key()

    def read_environment(self) -> None:
        """Read every plain setting from the environment, at construction time."""
        self.DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{INSTANCE / 'nachtwacht.db'}")
        self.REDIS_URL = env_str("REDIS_URL")
        self.SOCKETIO_CHANNEL = env_str("SOCKETIO_CHANNEL", "nachtwacht")
        self.MAP_TILE_URL = env_str("MAP_TILE_URL")
        self.TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
        self.TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
        self.TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
        self.TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
        self.TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)  # proxies in front (ProxyFix)
        self.TIMEZONE = env_str("TIMEZONE", "Europe/Brussels")
        self.HOST = env_str("HOST", "127.0.0.1")
        self.PORT = env_int("PORT", 5000)
        # Unset (a development start): the server as HOST/PORT serve it, on this machine.
        public = env_str("PUBLIC_BASE_URL")
        self.PUBLIC_BASE_URL = public or f"http://127.0.0.1:{self.PORT}"
        self.ALLOWED_ORIGINS = allowed_origins(public, self.HOST, self.PORT)
        self.GEOCODER = env_str("GEOCODER", "offline")
        self.GEOCODER_URL = env_str("GEOCODER_URL")
        self.SESSION_HOURS = env_int("SESSION_HOURS", 12)
        # An assignment's crew keeps access to its incident this long after the assignment ends.
        self.OFFICER_ACCESS_GRACE_H = env_int("OFFICER_ACCESS_GRACE_H", 12)
        self.LOGIN_RATE_LIMIT = env_str("LOGIN_RATE_LIMIT", self.LOGIN_RATE_LIMIT_DEFAULT)
        # Per account and address (a burst on one account alarms the supervisors instead).
        self.LOGIN_ACCOUNT_RATE_LIMIT = env_str("LOGIN_ACCOUNT_RATE_LIMIT", "5 per 15 minutes")
        self.LOGIN_ALARM_FAILURES = env_int("LOGIN_ALARM_FAILURES", 10)  # in 15 minutes
        self.SCHEDULER_ENABLED = env_bool("SCHEDULER_ENABLED", self.SCHEDULER_ENABLED)
        self.SCHEDULER_LEASE_S = env_int("SCHEDULER_LEASE_S", 15)
        # PostgreSQL advisory-lock key of the scheduler leader; default: derived from the
        # database and schema, so two deployments on one server never share it.
        self.SCHEDULER_LOCK_KEY = env_int("SCHEDULER_LOCK_KEY", 0) or None
        self.INSTRUMENTS_DIR = env_str("INSTRUMENTS_DIR")
        self.HANDOVER_TIME = env_str("HANDOVER_TIME", "07:00")
        self.HANDOVER_REMINDER_TIME = env_str("HANDOVER_REMINDER_TIME", "10:00")
        self.HANDOVER_CATCHUP_DAYS = env_int("HANDOVER_CATCHUP_DAYS", 7)
        # The weekly triage-table list (handover.weekly), per Veilig Huis organisation: drafted
        # each Monday at TRIAGE_LIST_TIME for the previous Monday-Sunday, sent to the organisation
        # at TRIAGE_LIST_SEND_TIME (a supervisor may send it sooner); local times in TIMEZONE.
        self.TRIAGE_LIST_TIME = env_str("TRIAGE_LIST_TIME", "08:00")
        self.TRIAGE_LIST_SEND_TIME = env_str("TRIAGE_LIST_SEND_TIME", "10:00")
        self.AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 1825)
        self.AUDIT_ANCHOR_FILE = env_str("AUDIT_ANCHOR_FILE")  # the signed head, hourly
        self.REQUIRE_2FA = env_str("REQUIRE_2FA", "privileged")  # or "all"
        self.RETENTION_DAYS = env_int("RETENTION_DAYS", 180)
        self.PACKET_RETENTION_DAYS = env_int("PACKET_RETENTION_DAYS", 30)
        self.GEOCODE_CACHE_DAYS = env_int("GEOCODE_CACHE_DAYS", 30)
        # Live sockets each hold a server thread: keep some for HTTP (gunicorn's threads).
        threads = env_int("NACHTWACHT_THREADS", 50)
        self.MAX_SOCKETS_PER_PROCESS = env_int("MAX_SOCKETS_PER_PROCESS", max(1, threads - 10))
        self.SOCKET_JOIN_TIMEOUT_S = env_float("SOCKET_JOIN_TIMEOUT_S", 5.0)
        self.MAX_SOCKETS_PER_USER = env_int("MAX_SOCKETS_PER_USER", 5)  # a console or two each
        self.ACK_TIMEOUT_S = env_int("ACK_TIMEOUT_S", 120)
        self.WELFARE_CHECK_S = env_int("WELFARE_CHECK_S", 1800)
        # A welfare check unanswered this long after it was sent alarms the supervisors (once).
        self.WELFARE_GRACE_S = env_int("WELFARE_GRACE_S", 300)
        # A unit position older than this is marked stale and ranked as unknown.
        self.UNIT_POSITION_STALE_S = env_int("UNIT_POSITION_STALE_S", 900)
        # The officer-safety flags that may travel in an assignment SMS (short Dutch codes, never
        # names or answers): weapon, suspect_present, children, intoxicated_aggressive,
        # order_in_force, possible_breach, prior_incidents.
        self.SMS_SAFETY_FLAGS = tuple(
            f.strip()
            for f in (
                env_str(
                    "SMS_SAFETY_FLAGS",
                    "weapon,suspect_present,children,intoxicated_aggressive,order_in_force,"
                    "possible_breach",
                )
                or ""
            ).split(",")
            if f.strip()
        )
        # A P1 waiting this long without a unit raises an alarm on every console.
        self.P1_WAIT_ALARM_S = env_int("P1_WAIT_ALARM_S", 60)
        # The queue marks an incident late after this long without a unit, per priority.
        self.LATE_AFTER_S = env_priority_seconds("LATE_AFTER_S", "P1=60,P2=180,P3=600,P4=1800")
        # For P1/P2 the nearest unit comes first unless a better-matched one is this close.
        self.SKILL_MARGIN_S = env_priority_seconds("SKILL_MARGIN_S", "P1=120,P2=300")
        # A unit's free text with one of these words is a high alarm (Dutch, French, English).
        self.DISTRESS_WORDS = tuple(
            w.strip()
            for w in (
                env_str(
                    "DISTRESS_WORDS",
                    "mes,wapen,pistool,versterking,bloed,couteau,arme,renfort,knife,gun,backup",
                )
                or ""
            ).split(",")
            if w.strip()
        )
        # Intake warns of an open incident at the same address or phone this recent.
        self.DUPLICATE_WINDOW_H = env_int("DUPLICATE_WINDOW_H", 12)
        # Repeat victimisation: this many incidents for one person or one address in the window.
        self.REPEAT_THRESHOLD = env_int("REPEAT_THRESHOLD", 3)
        self.REPEAT_WINDOW_DAYS = env_int("REPEAT_WINDOW_DAYS", 365)
        # One bucket per user for every look-up by a person's or an address's keys: the search,
        # and the duplicates, earlier screens and person candidates asked while a call is typed.
        self.LOOKUP_RATE_LIMIT = env_str("LOOKUP_RATE_LIMIT", "60 per minute")
        # Advanced Mobile Location: the HTTPS form's HMAC-SHA1 key (unset: not checked), and how
        # long a caller's location waits for, or attaches to, a call from the same number.
        self.AML_HMAC_KEY = env_str("AML_HMAC_KEY")
        self.AML_MATCH_WINDOW_S = env_int("AML_MATCH_WINDOW_S", 600)
        # With a key set, the SMS forms (which cannot be signed) are refused unless this is on.
        self.AML_UNSIGNED_SMS = env_bool("AML_UNSIGNED_SMS", False)
        # The night the statistics count by (Europe/Brussels hours): 22:00 to 07:00.
        self.NIGHT_START_HOUR = env_int("NIGHT_START_HOUR", 22)
        self.NIGHT_END_HOUR = env_int("NIGHT_END_HOUR", 7)
        for name in ("NIGHT_START_HOUR", "NIGHT_END_HOUR"):
            if not 0 <= getattr(self, name) <= 23:
                raise ConfigError(f"{name} must be an hour from 0 to 23")
        if self.NIGHT_START_HOUR == self.NIGHT_END_HOUR:
            raise ConfigError("NIGHT_START_HOUR and NIGHT_END_HOUR must differ")
        self.STATISTICS_SETTLE_DAYS = env_int("STATISTICS_SETTLE_DAYS", 7)
        if self.STATISTICS_SETTLE_DAYS < 1:  # a night kept while it still runs misses calls
            raise ConfigError("STATISTICS_SETTLE_DAYS must be at least 1")
        # Who Nachtwacht is in the CAP and EIDO messages it sends (sender, agency id).
        self.EXCHANGE_SENDER = env_str("EXCHANGE_SENDER", "nachtwacht@politie.antwerpen.be")
        self.RANKING_SPEED_KMH = env_float("RANKING_SPEED_KMH", 40.0)
        self.RANKING_DETOUR_FACTOR = env_float("RANKING_DETOUR_FACTOR", 1.3)
        self.SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 5)
        self.SMS_HTTP_TIMEOUT = env_float("SMS_HTTP_TIMEOUT", 10.0)
        self.SMS_SEND_IMMEDIATELY = env_bool("SMS_SEND_IMMEDIATELY", self.SMS_SEND_IMMEDIATELY)

    @property
    def twilio_enabled(self) -> bool:
        """Send through Twilio only when credentials and a sender are all set."""
        sender = self.TWILIO_MESSAGING_SERVICE_SID or self.TWILIO_FROM_NUMBER
        return bool(self.TWILIO_ACCOUNT_SID and self.TWILIO_AUTH_TOKEN and sender)

    def secret_key(self) -> str:
        """Return SECRET_KEY from the environment or the instance folder."""
        return env_str("SECRET_KEY") or instance_secret("secret_key", lambda: secrets.token_hex(32))

    def field_keys(self) -> list[str]:
        """Return the Fernet keys for case data, newest first."""
        raw = env_str("FIELD_ENCRYPTION_KEYS") or instance_secret(
            "field_encryption_keys", lambda: Fernet.generate_key().decode()
        )
        return [k.strip() for k in raw.split(",") if k.strip()]

    def blind_index_key(self) -> str:
        """Return the HMAC key for equality look-ups over encrypted values."""
        return env_str("BLIND_INDEX_KEY") or instance_secret(
            "blind_index_key", lambda: secrets.token_hex(32)
        )

    def audit_key(self) -> str:
        """Return the key of the audit chain's HMAC (never stored in the database)."""
        return env_str("AUDIT_KEY") or instance_secret("audit_key", lambda: secrets.token_hex(32))


class DevelopmentConfig(BaseConfig):
    """Local `make run`: SQLite, generated secrets, scheduler inside the server."""

    ENV_NAME = "development"
    SCHEDULER_ENABLED = True


class TestingConfig(BaseConfig):
    """The test suite: fixed secrets, no scheduler, a database per session."""

    ENV_NAME = "testing"
    TESTING = True
    SMS_SEND_IMMEDIATELY = False  # tests drive the sender themselves
    LOGIN_RATE_LIMIT_DEFAULT = "5 per minute"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # scrypt costs ~0.1 s a user in every fixture

    def secret_key(self) -> str:
        return "testing-secret-key"

    def field_keys(self) -> list[str]:
        return [os.environ.get("TEST_FIELD_KEY") or "7PpCq9B0kXJt6zmMZ2p2wVn0iVrM6oU0qVxE8bqv7mA="]

    def blind_index_key(self) -> str:
        return "testing-blind-index-key"

    def audit_key(self) -> str:
        return "testing-audit-key"


class ProductionConfig(BaseConfig):
    """Real deployments: every secret must come from the environment."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    def secret_key(self) -> str:
        return check_secret("SECRET_KEY", env_str("SECRET_KEY"))

    def field_keys(self) -> list[str]:
        raw = env_str("FIELD_ENCRYPTION_KEYS")
        if not raw or is_placeholder(raw):
            raise ConfigError("FIELD_ENCRYPTION_KEYS must be set to Fernet keys in production")
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        for key in keys:
            try:
                Fernet(key.encode())
            except (ValueError, binascii.Error):
                raise ConfigError(
                    "FIELD_ENCRYPTION_KEYS must be Fernet keys (flask --app wsgi keys generate)"
                ) from None
            if key in PUBLIC_KEYS or not looks_random(base64.urlsafe_b64decode(key.encode())):
                raise ConfigError(
                    "FIELD_ENCRYPTION_KEYS holds a Fernet key that is public or not random "
                    "(flask --app wsgi keys generate)"
                )
        return keys

    def blind_index_key(self) -> str:
        return check_secret("BLIND_INDEX_KEY", env_str("BLIND_INDEX_KEY"))

    def audit_key(self) -> str:
        return check_secret("AUDIT_KEY", env_str("AUDIT_KEY"))


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> BaseConfig:
    """Instantiate the configuration for NACHTWACHT_ENV (default development)."""
    name = name or env_str("NACHTWACHT_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError as exc:
        raise ConfigError(f"NACHTWACHT_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from exc
