package schema

import "encoding/json"

// Security profiles.
const (
	ProfileRestricted = "restricted"
	ProfileBaseline   = "baseline"
	ProfileNone       = "none"
)

// Security is a hardening profile of an app's pods. In CUE it is a
// profile's name or {profile, readOnlyRootFilesystem, runAsUser, ...}.
type Security struct {
	Profile                string `json:"profile"`
	ReadOnlyRootFilesystem bool   `json:"readOnlyRootFilesystem"`
	RunAsUser              *int64 `json:"runAsUser"`
	RunAsGroup             *int64 `json:"runAsGroup"`
	FSGroup                *int64 `json:"fsGroup"`
}

// UnmarshalJSON accepts both forms of a profile.
func (s *Security) UnmarshalJSON(b []byte) error {
	type security Security // without the method, to avoid recursion
	return nameOr(b, &s.Profile, (*security)(s))
}

// Level is the Pod Security Standard the profile's pods meet: privileged
// for none.
func (s *Security) Level() string {
	if s == nil || s.Profile == ProfileNone {
		return LevelPrivileged
	}
	return s.Profile
}

// Pod Security Standards' levels.
const (
	LevelRestricted = "restricted"
	LevelBaseline   = "baseline"
	LevelPrivileged = "privileged"
)

// PodSecurity is the Pod Security level a stack's namespace enforces. In
// CUE it is a level or {level, version}.
type PodSecurity struct {
	Level string `json:"level"`
	// Version is the release of the standard, like v1.37; empty for latest.
	Version string `json:"version"`
}

// UnmarshalJSON accepts both forms of a level.
func (p *PodSecurity) UnmarshalJSON(b []byte) error {
	type podSecurity PodSecurity // without the method, to avoid recursion
	return nameOr(b, &p.Level, (*podSecurity)(p))
}

// nameOr decodes b, a name or a struct, into name or whole.
func nameOr(b []byte, name *string, whole any) error {
	if err := json.Unmarshal(b, name); err == nil {
		return nil
	}
	return json.Unmarshal(b, whole)
}

// FieldPos is where the app's field (a path like overrides.pod) is
// defined, or the app's position if Load recorded none.
func (a *App) FieldPos(field string) Position {
	if p, ok := a.Fields[field]; ok {
		return p
	}
	return a.Pos
}

// FieldPath is the field of path as errors name it, like
// overrides."deployment/web" or storage.data.hostPath: the key of
// App.Fields and Stack.Fields.
func FieldPath(path ...string) string { return fieldString(path) }
