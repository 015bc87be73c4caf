{{/* The release's base name for every object. */}}
{{- define "runnel.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "runnel.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: {{ include "runnel.selector" (list . "broker") }} */}}
{{- define "runnel.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "runnel.image" -}}
{{- $root := index . 0 -}}
{{- printf "%srunnel/%s:%s" $root.Values.image.registry (index . 1) (default $root.Chart.AppVersion $root.Values.image.tag) -}}
{{- end -}}

{{- define "runnel.zookeeperConnect" -}}
{{- if .Values.zookeeper.enabled -}}
{{- $zk := printf "%s-zookeeper" (include "runnel.fullname" .) -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.zookeeper.replicas) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s-headless.%s.svc.cluster.local:2181" $zk $i $zk $.Release.Namespace) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- else -}}
{{- required "zookeeper.external.connectString is needed when zookeeper.enabled is false" .Values.zookeeper.external.connectString -}}
{{- end -}}
{{- end -}}

{{- define "runnel.clusterSecretName" -}}
{{- default (printf "%s-cluster" (include "runnel.fullname" .)) .Values.existingClusterSecret -}}
{{- end -}}

{{- define "runnel.gatewaySecretName" -}}
{{- default (printf "%s-gateway" (include "runnel.fullname" .)) .Values.gateway.existingSecret -}}
{{- end -}}

{{/* Pod anti-affinity for one component: {{ include "runnel.antiAffinity" (list . "broker") }} */}}
{{- define "runnel.antiAffinity" -}}
{{- $root := index . 0 -}}
podAntiAffinity:
{{- if eq $root.Values.podAntiAffinity "hard" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "runnel.selector" . | nindent 10 }}
{{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "runnel.selector" . | nindent 12 }}
{{- end }}
{{- end -}}

{{/* Liveness, readiness and startup probes on a Spring Boot service's Actuator. */}}
{{- define "runnel.probes" -}}
startupProbe:
  httpGet: {path: /actuator/health/liveness, port: http}
  periodSeconds: 5
  failureThreshold: 36
livenessProbe:
  httpGet: {path: /actuator/health/liveness, port: http}
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /actuator/health/readiness, port: http}
  periodSeconds: 5
  failureThreshold: 3
{{- end -}}

{{/*
The console's admin user, which the controllers' admin API and the controllers' and brokers'
Actuator take too (runnel.cluster.security.users[0]); only with the gateway, whose Secret holds it.
*/}}
{{- define "runnel.adminUserEnv" -}}
{{- if .Values.gateway.enabled }}
- name: RUNNEL_CLUSTER_SECURITY_USERS_0_NAME
  value: {{ .Values.gateway.adminUser | quote }}
- name: RUNNEL_CLUSTER_SECURITY_USERS_0_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "runnel.gatewaySecretName" . }}, key: admin-password}}
- name: RUNNEL_CLUSTER_SECURITY_USERS_0_ROLE
  value: ADMIN
{{- end }}
{{- end -}}

{{/*
The names a component's Service is reached by inside the cluster, comma-separated, for the
services' Host check (runnel.http.allowed-hosts): {{ include "runnel.serviceHosts" (list . "gateway") }}
*/}}
{{- define "runnel.serviceHosts" -}}
{{- $root := index . 0 -}}
{{- $name := printf "%s-%s" (include "runnel.fullname" $root) (index . 1) -}}
{{- printf "%s,%s.%s,%s.%s.svc,%s.%s.svc.cluster.local" $name $name $root.Release.Namespace $name $root.Release.Namespace $name $root.Release.Namespace -}}
{{- end -}}

{{/*
The services' ZooKeeper password: with it they authenticate and only they may change the cluster's
nodes (ACLs). Optional: a Secret made before it existed, or an existingClusterSecret without the key
"zookeeper-password", leaves ZooKeeper authentication off.
*/}}
{{- define "runnel.zookeeperAuthEnv" -}}
- name: RUNNEL_ZOOKEEPER_AUTH_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "runnel.clusterSecretName" . }}, key: zookeeper-password, optional: true}}
{{- end -}}

{{- define "runnel.extraEnv" -}}
{{- range $k, $v := . }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end -}}
