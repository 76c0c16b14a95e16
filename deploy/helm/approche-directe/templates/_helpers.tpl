{{- define "ad.name" -}}{{ .Chart.Name }}{{- end -}}
{{- define "ad.fullname" -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "ad.labels" -}}
app.kubernetes.io/name: {{ include "ad.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- define "ad.selector" -}}
app.kubernetes.io/name: {{ include "ad.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "ad.secretName" -}}{{ .Values.existingSecret | default (printf "%s-secrets" (include "ad.fullname" .)) }}{{- end -}}
{{/* Environment, volumes and security shared by every container of the chart. */}}
{{- define "ad.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "ad.fullname" . }}-config
  - secretRef:
      name: {{ include "ad.secretName" . }}
{{- end -}}
{{- define "ad.volumeMounts" -}}
volumeMounts:
  - name: data
    mountPath: /var/lib/approche-directe
  - name: tmp
    mountPath: /tmp
{{- end -}}
{{- define "ad.volumes" -}}
volumes:
  - name: data
    emptyDir: {}
  - name: tmp
    emptyDir: {}
{{- end -}}
