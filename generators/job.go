package generators

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// Job is the workload of a job app. The API server refuses changes to a
// Job's pod template, so the Job's name ends in a hash of its spec: a
// changed job is a new Job that kubectl apply creates, and an unchanged
// one keeps its name and is left alone.
func Job(s *schema.Stack, a *schema.App) *batchv1.Job {
	spec := jobSpec(s, a)
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: workloadMeta(s, a, JobName(a, spec)),
		Spec:       spec,
	}
}

// JobName is <app>-<hash of the job's spec>, at most 63 characters.
func JobName(a *schema.App, spec batchv1.JobSpec) string {
	b, err := json.Marshal(spec) // sorted map keys: the same spec, the same bytes
	if err != nil {
		panic(err) // a JobSpec always marshals
	}
	sum := sha256.Sum256(b)
	return a.Name + "-" + hex.EncodeToString(sum[:])[:10]
}

func jobSpec(s *schema.Stack, a *schema.App) batchv1.JobSpec {
	j := a.Job
	return batchv1.JobSpec{
		Completions:             j.Completions,
		Parallelism:             j.Parallelism,
		BackoffLimit:            j.BackoffLimit,
		ActiveDeadlineSeconds:   j.ActiveDeadlineSeconds,
		TTLSecondsAfterFinished: j.TTLSecondsAfterFinished,
		Template:                PodTemplate(s, a),
	}
}
