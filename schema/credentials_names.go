package schema

import (
	"strings"
	"sync"
	"unicode"
)

// nameClass is what the name of a variable or of a config file's key says
// of its value. Variables and keys are one rule: DB_PASSWORD in the
// environment and db.password in a properties file are read alike.
type nameClass uint8

const (
	// plainName holds no credential: LOG_LEVEL, PASSWORD_MIN_LENGTH.
	plainName nameClass = iota
	// credentialValue holds a credential itself: DB_PASSWORD, apiKey.
	credentialValue
	// credentialPath holds where a credential is, a path, or else the
	// credential: DB_PASSWORD_FILE, bearer_token_file, and PWD, which is
	// also the shell's working directory.
	credentialPath
)

// Words after a credential's word that make the name one of a property
// of the credential, not of the credential itself: TOKEN_TTL,
// PASSWORD_MIN_LENGTH, secret_key_ref, token_url.
var credentialQualifiers = setOf(
	"TTL", "LIFETIME", "LIFESPAN", "EXPIRY", "EXPIRES", "EXPIRE", "EXPIRATION", "EXPIRED", "VALIDITY",
	"TIMEOUT", "AGE", "DURATION", "PERIOD", "INTERVAL", "ROTATION", "REFRESH", "DAYS", "HOURS", "MINUTES", "SECONDS",
	"LENGTH", "LEN", "MIN", "MAX", "MINIMUM", "MAXIMUM", "SIZE", "BITS", "COUNT", "LIMIT", "ATTEMPTS", "RETRIES", "HISTORY",
	"URL", "URLS", "URI", "URIS", "ENDPOINT", "HOST", "PORT", "ADDR", "ADDRESS", "SERVER", "ISSUER", "AUDIENCE",
	"HEADER", "PARAM", "PARAMETER", "FIELD", "REF", "REFS", "NAME", "NAMES", "ENV", "VAR", "VARIABLE",
	"TYPE", "KIND", "MODE", "METHOD", "METHODS", "ALGORITHM", "ALGORITHMS", "ALG", "FORMAT", "ENCODING", "ENCRYPTION",
	"SCHEME", "HASHER", "HASHERS", "HASHING", "CIPHER", "POLICY", "STRENGTH", "COMPLEXITY", "PATTERN", "REGEX",
	"VALIDATOR", "VALIDATORS", "VALIDATION", "PROMPT", "LABEL", "HINT", "HELP", "DESCRIPTION", "PROVIDER", "BACKEND",
	// The key of a Secret that holds it (passwordKey, TOKEN_KEY); API_KEY
	// and SECRET_KEY are credentials' words of their own.
	"KEY", "KEYS",
	"ALGO", "HASHALGO", "DIGEST", "CREATED", "UPDATED", "CHANGED", "MTIME", "TIMESTAMP", "DATE",
	"NAMESPACE", "MANAGER", "STORE", "ENGINE", "MOUNT", "PREFIX", "SUFFIX", "SEPARATOR", "DELIMITER", "ARN", "REGION", "VERSION",
	// A program that gets the credential: ssl_passphrase_command, PassCmd.
	"COMMAND", "CMD", "DIALOG", "SCRIPT", "PROGRAM", "HELPER", "EXEC",
)

// Words before a credential's word that make the name one of a Secret
// that holds it: Helm charts' existingSecret.
var credentialPrefixQualifiers = setOf("EXISTING")

// Words before PASS that make it nginx's pass to an upstream:
// proxy_pass, fastcgi_pass.
var upstreamPasses = setOf("PROXY", "FASTCGI", "UWSGI", "SCGI", "GRPC", "MEMCACHED")

// Words after a credential's word that make the name one of a path.
var credentialPathWords = setOf("FILE", "FILES", "FILENAME", "PATH", "PATHS", "DIR", "DIRS", "DIRECTORY")

// Words before KEY that make it a credential's: API_KEY, apiKey,
// SECRET_KEY, ENCRYPTION_KEY, but not PUBLIC_KEY or KEYSPACE.
var credentialKeyPrefixes = []string{"API", "ACCESS", "PRIVATE", "SECRET", "CLIENT", "ENCRYPTION", "SIGNING", "MASTER", "AUTH", "HMAC", "LICENSE"}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// credentialNames caches classifyName: the same names come back in app
// after app.
var credentialNames sync.Map // string → nameClass

// nameClassOf is what name says of its value.
func nameClassOf(name string) nameClass {
	if !credentialNeedle(name) {
		return plainName // most names: no lookup, which boxes the name
	}
	if c, ok := credentialNames.Load(name); ok {
		return c.(nameClass)
	}
	c := classifyName(name)
	if len(name) <= 128 {
		credentialNames.Store(name, c)
	}
	return c
}

// classifyName reads name as words (DB_PASSWORD, db.password,
// clientSecret, x-api-key) and finds the last that names a credential;
// the words after it say whether the name is of the credential, of its
// path, or of something about it.
func classifyName(name string) nameClass {
	words := nameWords(name)
	last := -1
	for i := range words {
		if credentialWord(words, i) {
			last = i
		}
	}
	if last < 0 {
		return plainName
	}
	for _, w := range words[:last] {
		if credentialPrefixQualifiers[w] {
			return plainName
		}
	}
	class := credentialValue
	if words[last] == "PWD" {
		class = credentialPath
	}
	for _, w := range words[last+1:] {
		switch {
		case credentialQualifiers[w]:
			return plainName
		case (w == "ID" || w == "IDS") && strings.HasPrefix(words[last], "CREDENTIAL"):
			return plainName // credentialsId names the credential, in Jenkins
		case credentialPathWords[w]:
			class = credentialPath
		}
	}
	return class
}

// credentialWord is whether words[i] names a credential.
func credentialWord(words []string, i int) bool {
	w := words[i]
	for _, s := range []string{"PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL"} {
		if strings.Contains(w, s) {
			return true
		}
	}
	lastWord := i == len(words)-1
	switch {
	case w == "PASS":
		return i == 0 || !upstreamPasses[words[i-1]]
	case w == "REQUIREPASS", w == "MASTERAUTH":
		return true
	case (w == "AUTH" || w == "AUTHORIZATION" || w == "PWD") && lastWord:
		// Only ending the name: AUTH_TYPE, AUTH_URL and the like are
		// about authentication; BASIC_AUTH, AUTHORIZATION hold it.
		return true
	case strings.HasSuffix(w, "TOKEN"), strings.HasSuffix(w, "SECRET"):
		return true
	case strings.HasSuffix(w, "KEY"):
		stem := strings.TrimSuffix(w, "KEY")
		if stem == "" && i > 0 {
			stem = words[i-1]
		}
		for _, p := range credentialKeyPrefixes {
			if strings.HasSuffix(stem, p) {
				return true
			}
		}
	}
	return false
}

// nameWords splits a name into upper-case words at every character that
// is no letter or digit and where camelCase starts a word: clientSecret,
// APIKey and oauth2Token are two words each.
func nameWords(name string) []string {
	var words []string
	start := -1
	rs := []rune(name)
	flush := func(end int) {
		if start >= 0 && end > start {
			words = append(words, strings.ToUpper(string(rs[start:end])))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start >= 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush(i)
			}
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(rs))
	return words
}
