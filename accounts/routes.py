"""Login and logout pages; the /me, organisation and user-administration API."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from accounts import admin, service, twofactor
from accounts.login import LOGIN_AT
from accounts.models import Organisation, Role, RoleGrant, User
from accounts.schemas import (
    MeRead,
    OrganisationCreate,
    OrganisationList,
    OrganisationRead,
    RoleGrantList,
    RoleGrantRead,
    SoundSetting,
    UserCreate,
    UserCreated,
    UserList,
    UserRead,
    UserUpdate,
)
from core import audit, clock
from core.api import api, endpoint, not_found, problem
from core.db import db
from core.extensions import limiter
from core.i18n import lazy_gettext as _l
from core.policies import ADMIN, AUTHENTICATED, PUBLIC, allow, protect
from core.schemas import PageInfo, PageQuery

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    """Only follow relative redirects after login (no open redirect)."""
    if target and not urlsplit(target).netloc and target.startswith("/") and "\\" not in target:
        return target
    return url_for("pages.home")


def _failed(response) -> bool:
    return response.status_code >= 400  # only failed attempts count


def _account_key() -> str:
    """Failed logins count per account *and* address: guessing from one place is slowed, but
    nobody can lock the right person out by failing on their account from elsewhere."""
    name = (request.form.get("username") or "").strip().lower()[:64]
    return f"login-account:{name}:{request.remote_addr}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
)
@protect(PUBLIC)
def login():
    """Show the login form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.username.data or "", form.password.data or "")
        if user is None:  # a reset code from an administrator works once, in the password box
            user = admin.redeem_reset_code(form.username.data or "", form.password.data or "")
        if user is None:
            service.record_failed_login(form.username.data or "")
            flash(_("Unknown user or wrong password."), "error")
            return render_template("auth/login.html", form=form), 401
        if user.totp_enabled:
            _fresh_session()
            twofactor.start_pending(user)
            return redirect(url_for("auth.second_factor", next=request.args.get("next")))
        return _complete_login(user)
    return render_template("auth/login.html", form=form)


def _fresh_session() -> None:
    """A new session at each login step: nothing carried over, a new CSRF token (fixation)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _complete_login(user: User):
    _fresh_session()
    login_user(user)
    session.permanent = True
    session[LOGIN_AT] = clock.now().timestamp()  # the session ends SESSION_HOURS after this
    user.last_login_at = clock.now()
    audit.record("login", "user", user.id)
    return redirect(_safe_next(request.args.get("next")))


class CodeForm(FlaskForm):
    """A 6-digit code or a recovery code."""

    code = StringField("code", validators=[DataRequired(), Length(max=32)])


@bp.route("/login/2fa", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=lambda response: response.status_code >= 400,
)
@protect(PUBLIC)
def second_factor():
    """Ask the second factor of a user who passed the password step."""
    user = twofactor.pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        twofactor.lock(user)  # parallel tries on one account are judged one after another
        wait = twofactor.wait_s(user)
        if wait:  # too many wrong codes on this account, from anywhere: each try waits
            flash(_("Too many wrong codes. Try again in %(s)d seconds.", s=wait), "error")
            return render_template("auth/second_factor.html", form=form), 429
        code = form.code.data or ""
        if twofactor.proves(user, code):
            twofactor.succeeded(user)
            return _complete_login(user)
        twofactor.failed(user)
        audit.record("2fa_failed", "user", user.id, username=user.username)
        if twofactor.pending_failed():
            flash(_("Three wrong codes: log in again with your password."), "error")
            return redirect(url_for("auth.login"))
        flash(_("That code is not valid."), "error")
        return render_template("auth/second_factor.html", form=form), 401
    return render_template("auth/second_factor.html", form=form)


class ReauthForm(FlaskForm):
    """The password and the current code (or a recovery code): to replace a second factor."""

    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])
    code = StringField("code", validators=[DataRequired(), Length(max=32)])


REAUTH = "2fa_reauth_at"


def _reauthenticated(user: User) -> bool:
    """Whether this session proved the password and the current factor in the last 5 minutes."""
    if not user.totp_enabled:
        return True  # nothing to replace: first enrolment
    at = session.get(REAUTH)
    return isinstance(at, int | float) and clock.now().timestamp() - at <= twofactor.PENDING_S


def _reauthenticate(user: User):
    """Ask for the password and the current code before a second factor can be replaced."""
    form = ReauthForm()
    if form.validate_on_submit():
        twofactor.lock(user)
        wait = twofactor.wait_s(user)
        code = form.code.data or ""
        if (
            not wait
            and service.authenticate(user.username, form.password.data or "") is not None
            and twofactor.proves(user, code)
        ):
            twofactor.succeeded(user)
            session[REAUTH] = clock.now().timestamp()
            return redirect(url_for("auth.enrol_2fa"))
        if not wait:
            twofactor.failed(user)
        audit.record("2fa_failed", "user", user.id)
        flash(_("Password or code not valid."), "error")
        return render_template("auth/reauth_2fa.html", form=form), 401
    return render_template("auth/reauth_2fa.html", form=form)


@bp.route("/2fa/enrol", methods=["GET", "POST"])
@protect(AUTHENTICATED)
def enrol_2fa():
    """Set up TOTP: scan the QR code (or type the secret), confirm with a first code."""
    user = db.session.get(User, current_user.id)
    if not _reauthenticated(user):  # an open session alone does not replace the factor
        return _reauthenticate(user)
    secret = session.get("2fa_new_secret") or twofactor.new_secret()
    session["2fa_new_secret"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        if twofactor.code_ok(secret, form.code.data or ""):
            codes = twofactor.enable(user, secret)
            session.pop("2fa_new_secret", None)
            session.pop(REAUTH, None)
            login_user(user)  # the session version changed: keep this session
            return render_template("auth/recovery_codes.html", codes=codes)
        audit.record("2fa_failed", "user", user.id)
        flash(_("That code is not valid; check the time on your phone and try again."), "error")
    required = twofactor.required_for(user)
    return render_template(
        "auth/enrol_2fa.html",
        form=form,
        secret=secret,
        required=required,
        qr=twofactor.qr_svg(user, secret),
        enabled=user.totp_enabled,
    )


class NewPasswordForm(FlaskForm):
    """A new password, twice."""

    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("confirm", validators=[DataRequired(), Length(max=200)])


@bp.route("/password/new", methods=["GET", "POST"])
@protect(AUTHENTICATED)
def new_password():
    """After a reset code: the user chooses their own password (the administrator never knows
    it)."""
    user = db.session.get(User, current_user.id)
    if not user.must_change_password or g.get("api_token") is not None:
        # Only after a reset code, and only in that session: no token, and no open session of
        # someone who did not just prove a code, sets a password without the old one.
        return redirect(url_for("pages.home"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        password = form.password.data or ""
        if password != form.confirm.data:
            flash(_("The two passwords differ."), "error")
        else:
            try:
                service.set_password(user, password)
            except service.AccountError:
                flash(_("Choose a password of at least 10 characters."), "error")
            else:
                user.must_change_password = False
                login_user(user)  # the session version changed: keep this session
                flash(_("Your new password is set."), "info")
                return redirect(url_for("pages.home"))
        return render_template("auth/new_password.html", form=form), 422
    return render_template("auth/new_password.html", form=form)


@bp.route("/logout", methods=["POST"])
@protect(AUTHENTICATED)
def logout():
    """Sign out and revoke this user's sessions server-side."""
    user = db.session.get(User, current_user.id)
    user.session_version += 1
    audit.record("logout", "user", user.id)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


def _user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organisation=user.organisation.slug if user.organisation else None,
        active=user.active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


@api.get("/me")
@endpoint("Who am I", AUTHENTICATED, response=MeRead, tags=("auth",))
def me():
    """Return the caller's username, role and organisation."""
    return _me()


def _me() -> MeRead:
    org = current_user.organisation
    return MeRead(
        username=current_user.username,
        role=current_user.role,
        organisation=org.slug if org else None,
        sound_muted=bool(current_user.sound_muted),
    )


@api.post("/me/sound")
@endpoint(
    "Console sound on or off",
    allow(Role.DISPATCHER, Role.SUPERVISOR),
    body=SoundSetting,
    response=MeRead,
    tags=("auth",),
)
def set_sound(body: SoundSetting):
    """Keep the console's alarm sound per person, so the next user of a browser starts with it."""
    current_user.sound_muted = body.muted
    audit.record("update", "user_sound", current_user.id)
    return _me()


@api.get("/organisations")
@endpoint("List organisations", AUTHENTICATED, response=OrganisationList, tags=("organisations",))
def list_organisations():
    """List every organisation (slug, name, kind)."""
    orgs = db.session.execute(select(Organisation).order_by(Organisation.slug)).scalars()
    return OrganisationList(items=[OrganisationRead.model_validate(o) for o in orgs])


@api.post("/organisations")
@endpoint(
    "Create an organisation",
    ADMIN,
    body=OrganisationCreate,
    response=OrganisationRead,
    status=201,
    errors=(409, 422),
    tags=("organisations",),
)
def create_organisation(body: OrganisationCreate):
    """Add a partner organisation."""
    try:
        org = service.create_organisation(body.slug, body.name, body.kind, body.receives_handover)
    except service.AccountError as exc:
        raise problem(409, "conflict", exc.message, {exc.field: exc.message}) from None
    return OrganisationRead.model_validate(org)


@api.get("/users")
@endpoint("List users", ADMIN, query=PageQuery, response=UserList, tags=("users",))
def list_users(query: PageQuery):
    """List users, a page at a time."""
    total = db.session.execute(select(func.count(User.id))).scalar_one()
    users = db.session.execute(
        select(User)
        .order_by(User.username)
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    ).scalars()
    items = [_user_read(u) for u in users]
    audit.record("list", "user", object_ids=[u.id for u in items])
    return UserList(
        items=items, page=PageInfo(page=query.page, per_page=query.per_page, total=total)
    )


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("user")
    return user


def _organisation_or_422(slug: str | None) -> Organisation | None:
    if slug is None:
        return None
    org = service.organisation_by_slug(slug)
    if org is None:
        raise problem(
            422,
            "validation_error",
            _l("Unknown organisation."),
            {"organisation": _l("No such organisation.")},
        )
    return org


@api.post("/users")
@endpoint(
    "Create a user",
    ADMIN,
    body=UserCreate,
    response=UserCreated,
    status=201,
    errors=(409, 422),
    tags=("users",),
)
def create_user(body: UserCreate):
    """Add a user: disabled until a second person (another administrator or a supervisor)
    approves it and receives its one-time code for the first login."""
    org = _organisation_or_422(body.organisation)
    try:
        user, grant = admin.create_account(
            body.username, body.role, org, body.display_name, current_user
        )
    except service.AccountError as exc:
        status = 409 if exc.field == "username" else 422
        raise problem(
            status,
            "conflict" if status == 409 else "validation_error",
            exc.message,
            {exc.field: exc.message},
        ) from None
    return UserCreated(**_user_read(user).model_dump(), grant=RoleGrantRead.model_validate(grant))


@api.patch("/users/<int:user_id>")
@endpoint(
    "Change a user", ADMIN, body=UserUpdate, response=UserRead, errors=(404, 422), tags=("users",)
)
def update_user(user_id: int, body: UserUpdate):
    """Change role, organisation, name or active flag (a supervisor or admin role waits for a
    second person's approval; passwords only through a reset code)."""
    user = _user_or_404(user_id)
    changes = body.model_dump(exclude_unset=True)
    if "organisation" in changes:
        user.organisation = _organisation_or_422(body.organisation)
    role = changes.pop("role", None)
    if role is not None and Role(role) != Role(user.role):
        admin.request_role(user, Role(role), current_user)  # waits for a second person
    if changes.get("display_name") is not None:
        user.display_name = changes["display_name"]
    if changes.get("active") is not None:
        admin.set_active(user, changes["active"], current_user)
    if user.role == Role.SOCIAL_WORKER and user.organisation is None:
        raise problem(
            422,
            "validation_error",
            _l("A social worker belongs to an organisation."),
            {"organisation": _l("Required for social workers.")},
        )
    audit.record("update", "user", user.id)
    admin.tell_supervisors("update", current_user, user)
    return _user_read(user)


@api.post("/users/<int:user_id>/reset-code")
@endpoint(
    "Ask for a one-time reset code",
    ADMIN,
    response=RoleGrantRead,
    status=202,
    errors=(403, 404),
    tags=("users",),
)
def reset_code(user_id: int):
    """Ask for a reset code: a second person approves it and receives the code to hand over;
    then the old password and every session end."""
    user = _user_or_404(user_id)
    return RoleGrantRead.model_validate(admin.request_reset(user, current_user))


GRANTERS = allow(Role.ADMIN, Role.SUPERVISOR)


@api.get("/role-grants")
@endpoint("Roles waiting for approval", GRANTERS, response=RoleGrantList, tags=("users",))
def list_role_grants():
    """Supervisor and admin roles asked for and not yet approved."""
    return RoleGrantList(items=[RoleGrantRead.model_validate(g) for g in admin.pending_grants()])


@api.post("/role-grants/<int:grant_id>/approve")
@endpoint(
    "Approve a role",
    GRANTERS,
    response=RoleGrantRead,
    errors=(403, 404, 409),
    tags=("users",),
)
def approve_role_grant(grant_id: int):
    """A second administrator or a supervisor approves (never the one who asked, never the
    account holder); for a new account or a reset, the answer holds the one-time code."""
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None:
        raise not_found("role grant")
    _user, code, expires = admin.approve(grant, current_user)
    read = RoleGrantRead.model_validate(grant)
    return read.model_copy(update={"reset_code": code, "reset_expires_at": expires})
