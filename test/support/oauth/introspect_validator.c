/*
 * A PostgreSQL 18 OAuth validator module for the test rig. It really checks every bearer token
 * with the identity provider's RFC 7662 introspection endpoint and authorizes only tokens that are
 * active, were issued by the expected issuer, carry the required scope and name a subject.
 *
 * The embedded PostgreSQL 18 ships no server headers, so the few ABI structures the loader and the
 * OAuth code use are declared here (PostgreSQL 18: fmgr.h Pg_magic_struct, libpq/oauth.h).
 * Configuration comes from the postmaster environment:
 *   OAUTH_INTROSPECT_PORT  port of the provider's plain-HTTP listener on 127.0.0.1
 *   OAUTH_INTROSPECT_PATH  path of the introspection endpoint
 *   OAUTH_INTROSPECT_AUTH  base64 of "client_id:client_secret" of the introspecting client
 *   OAUTH_EXPECTED_ISS     issuer the token must come from
 *   OAUTH_REQUIRED_SCOPE   scope the token must carry
 * Test code only: HTTP/1.0 to loopback, blocking I/O bounded by poll() timeouts, naive JSON reading.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

typedef struct {
  int version;
  int funcmaxargs;
  int indexmaxkeys;
  int namedatalen;
  int float8byval;
  char abi_extra[32];
} Pg_abi_values;

typedef struct {
  int len;
  Pg_abi_values abi_fields;
  const char *name;
  const char *version;
} Pg_magic_struct;

typedef struct {
  int sversion;
  void *private_data;
} ValidatorModuleState;

typedef struct {
  bool authorized;
  char *authn_id;
} ValidatorModuleResult;

typedef struct {
  uint32_t magic;
  void (*startup_cb)(ValidatorModuleState *state);
  void (*shutdown_cb)(ValidatorModuleState *state);
  bool (*validate_cb)(const ValidatorModuleState *state, const char *token, const char *role, ValidatorModuleResult *result);
} OAuthValidatorCallbacks;

#define PG_OAUTH_VALIDATOR_MAGIC 0x20250220

/* Resolved from the postgres executable at load time: the result must be palloc'd. */
extern char *pstrdup(const char *in);

static const Pg_magic_struct magic_data = {
  sizeof(Pg_magic_struct), {1800, 100, 32, 64, 1, "PostgreSQL"}, "pgops_introspect_validator", "1"};

EXPORT const Pg_magic_struct *Pg_magic_func(void) { return &magic_data; }

#define TIMEOUT_MS 5000
#define MAX_RESPONSE 65536

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

/* application/x-www-form-urlencoded value: everything but unreserved characters as %XX. */
static void form_encode(const char *in, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (; *in && o + 4 < cap; in++) {
    unsigned char c = (unsigned char)*in;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = '\0';
}

static bool wait_for(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  return poll(&p, 1, TIMEOUT_MS) == 1;
}

/* POSTs the token to the introspection endpoint; fills `body` with the response body. */
static bool introspect(const char *token, char *body, size_t cap) {
  int port = atoi(env_or("OAUTH_INTROSPECT_PORT", "0"));
  const char *path = env_or("OAUTH_INTROSPECT_PATH", "/token/introspection");
  const char *auth = env_or("OAUTH_INTROSPECT_AUTH", "");
  if (port <= 0) return false;

  static char encoded[70000];
  form_encode(token, encoded, sizeof encoded);
  static char request[72000];
  int n = snprintf(request, sizeof request,
                   "POST %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nAuthorization: Basic %s\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
                   "Content-Length: %zu\r\n\r\ntoken=%s",
                   path, port, auth, strlen(encoded) + 6, encoded);
  if (n <= 0 || (size_t)n >= sizeof request) return false;

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
  for (int sent = 0; ok && sent < n;) {
    ok = wait_for(fd, POLLOUT);
    ssize_t w = ok ? send(fd, request + sent, (size_t)(n - sent), 0) : -1;
    if (w <= 0) ok = false; else sent += (int)w;
  }
  static char response[MAX_RESPONSE];
  size_t got = 0;
  while (ok && got < sizeof response - 1) {
    if (!wait_for(fd, POLLIN)) { ok = false; break; }
    ssize_t r = recv(fd, response + got, sizeof response - 1 - got, 0);
    if (r < 0) ok = false;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  if (!ok) return false;
  response[got] = '\0';
  if (strncmp(response, "HTTP/1.", 7) != 0 || strncmp(response + 8, " 200", 4) != 0) return false;
  const char *start = strstr(response, "\r\n\r\n");
  if (!start) return false;
  snprintf(body, cap, "%s", start + 4);
  return true;
}

/* The string value of a top-level "key" (naive: enough for the provider's flat introspection JSON). */
static bool json_string(const char *json, const char *key, char *out, size_t cap) {
  char quoted[64];
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char *p = strstr(json, quoted);
  if (!p) return false;
  p += strlen(quoted);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return false;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != '"') return false;
  size_t o = 0;
  for (; *p && *p != '"' && o + 1 < cap; p++) {
    if (*p == '\\' && p[1]) p++;
    out[o++] = *p;
  }
  out[o] = '\0';
  return *p == '"';
}

static bool json_true(const char *json, const char *key) {
  char quoted[64];
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char *p = strstr(json, quoted);
  if (!p) return false;
  p += strlen(quoted);
  while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return strncmp(p, "true", 4) == 0;
}

static bool has_scope(const char *scopes, const char *wanted) {
  size_t len = strlen(wanted);
  for (const char *p = scopes; (p = strstr(p, wanted)) != NULL; p += len) {
    bool starts = p == scopes || p[-1] == ' ';
    bool ends = p[len] == '\0' || p[len] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

static bool validate(const ValidatorModuleState *state, const char *token, const char *role, ValidatorModuleResult *result) {
  (void)state;
  (void)role;
  result->authorized = false;
  result->authn_id = NULL;
  static char body[MAX_RESPONSE];
  if (!introspect(token, body, sizeof body)) return false; /* the server logs an internal validator error */
  char sub[256], iss[512], scope[1024];
  if (!json_true(body, "active")) return true;
  if (!json_string(body, "sub", sub, sizeof sub) || sub[0] == '\0') return true;
  if (!json_string(body, "iss", iss, sizeof iss) || strcmp(iss, env_or("OAUTH_EXPECTED_ISS", "")) != 0) return true;
  if (!json_string(body, "scope", scope, sizeof scope) || !has_scope(scope, env_or("OAUTH_REQUIRED_SCOPE", "postgres"))) return true;
  result->authn_id = pstrdup(sub);
  result->authorized = true;
  return true;
}

static const OAuthValidatorCallbacks callbacks = {PG_OAUTH_VALIDATOR_MAGIC, NULL, NULL, validate};

EXPORT const OAuthValidatorCallbacks *_PG_oauth_validator_module_init(void) { return &callbacks; }
