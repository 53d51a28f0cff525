# Prints the access token google-auth (as bundled in Debian's google-cloud-cli) gets for the ADC file argv[1]:
# google.auth._default's own loader for each type, but without its project-id lookup (external_account asks
# cloudresourcemanager.googleapis.com for it, which a test must not reach). google-auth 2.39 ignores an
# impersonated_service_account file's service_account_impersonation_url and calls iamcredentials.googleapis.com;
# its own iam_endpoint_override points it at the file's URL (the stand-in), as newer google-auth does. It also
# always sends an authorized_user's refresh to https://oauth2.googleapis.com/token, whatever token_uri says
# (gcloud writes none); with_token_uri, its own method, points it at the stand-in as the file says.
import json
import sys

sys.path.insert(0, sys.argv[2])
from google.auth import _default  # noqa: E402
from google.auth.transport.requests import Request  # noqa: E402

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    info = json.load(handle)
if info.get("type") == "external_account":
    if info.get("subject_token_type") == _default._AWS_SUBJECT_TOKEN_TYPE:
        from google.auth import aws as module
    elif (info.get("credential_source") or {}).get("executable") is not None:
        from google.auth import pluggable as module
    else:
        from google.auth import identity_pool as module
    credentials = module.Credentials.from_info(info, scopes=SCOPES)
else:
    credentials, _ = _default._load_credentials_from_info(path, info, SCOPES, None, None, None)

def honour_token_uri(credentials, info):
    if info.get("type") == "authorized_user" and info.get("token_uri"):
        return credentials.with_token_uri(info["token_uri"])
    return credentials


credentials = honour_token_uri(credentials, info)
if info.get("type") == "impersonated_service_account":
    credentials._iam_endpoint_override = info["service_account_impersonation_url"]
    credentials._source_credentials = honour_token_uri(credentials._source_credentials, info["source_credentials"])
credentials.refresh(Request())
print(json.dumps({"token": credentials.token}))
