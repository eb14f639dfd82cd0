package generators

import (
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// CronJob is the workload of a cronjob app. Unlike a Job, its job template
// may change in place, so its name is the app's.
func CronJob(s *schema.Stack, a *schema.App) *batchv1.CronJob {
	cj := &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: workloadMeta(s, a, a.Name),
		Spec: batchv1.CronJobSpec{
			Schedule:                   a.Schedule,
			ConcurrencyPolicy:          batchv1.ConcurrencyPolicy(a.ConcurrencyPolicy),
			StartingDeadlineSeconds:    a.StartingDeadlineSeconds,
			Suspend:                    a.Suspend,
			SuccessfulJobsHistoryLimit: a.SuccessfulJobsHistoryLimit,
			FailedJobsHistoryLimit:     a.FailedJobsHistoryLimit,
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: WorkloadLabels(s, a)},
				Spec:       jobSpec(s, a),
			},
		},
	}
	if a.TimeZone != "" {
		cj.Spec.TimeZone = &a.TimeZone
	}
	return cj
}
