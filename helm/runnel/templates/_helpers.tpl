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

{{/*
Liveness, readiness and startup probes on a Spring Boot service's Actuator; over HTTPS with
security.enabled (the kubelet does not check the certificate).
*/}}
{{- define "runnel.probes" -}}
{{- $scheme := ternary ", scheme: HTTPS" "" .Values.security.enabled -}}
startupProbe:
  httpGet: {path: /actuator/health/liveness, port: http{{ $scheme }}}
  periodSeconds: 5
  failureThreshold: 36
livenessProbe:
  httpGet: {path: /actuator/health/liveness, port: http{{ $scheme }}}
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /actuator/health/readiness, port: http{{ $scheme }}}
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
  valueFrom: {secretKeyRef: {name: {{ include "runnel.clusterSecretName" . }}, key: zookeeper-password, optional: {{ not .Values.security.enabled }}}}
{{- end -}}

{{- define "runnel.extraEnv" -}}
{{- range $k, $v := . }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end -}}


{{/* ---- security.enabled: the generated Secret, its files in the pods, the internal SSL bundle ---- */}}

{{- define "runnel.securitySecretName" -}}
{{- printf "%s-security" (include "runnel.fullname" .) -}}
{{- end -}}

{{/* Where the pods find the security Secret's files. */}}
{{- define "runnel.securityDir" -}}
/etc/runnel/security
{{- end -}}

{{/*
The security Secret as a volume with only the given keys of it, readable by the services' group:
{{ include "runnel.securityVolume" (list . (list "ca.crt" "broker.crt")) }}. Mounted as a directory
(not subPath), so that a changed Secret reaches the files and the services reload them.
*/}}
{{- define "runnel.securityVolume" -}}
- name: security
  secret:
    secretName: {{ include "runnel.securitySecretName" (index . 0) }}
    defaultMode: 288 # 0440
    items:
      {{- range index . 1 }}
      - {key: {{ . }}, path: {{ . }}}
      {{- end }}
{{- end -}}

{{/*
The Spring Boot SSL bundle "internal" of one service ("controller", "broker" or "gateway"): its own
key and certificate, the chart's CA as trust store, reloaded when the files change. With
runnel.cluster.ssl-bundle naming it, the service serves HTTPS only and its internal HTTP clients
trust the CA and check host names.
*/}}
{{- define "runnel.internalTlsEnv" -}}
{{- $dir := include "runnel.securityDir" (index . 0) -}}
{{- $service := index . 1 -}}
- name: RUNNEL_CLUSTER_SSLBUNDLE
  value: internal
- name: SPRING_SSL_BUNDLE_PEM_INTERNAL_KEYSTORE_CERTIFICATE
  value: file:{{ $dir }}/{{ $service }}.crt
- name: SPRING_SSL_BUNDLE_PEM_INTERNAL_KEYSTORE_PRIVATEKEY
  value: file:{{ $dir }}/{{ $service }}.key
- name: SPRING_SSL_BUNDLE_PEM_INTERNAL_TRUSTSTORE_CERTIFICATE
  value: file:{{ $dir }}/ca.crt
- name: SPRING_SSL_BUNDLE_PEM_INTERNAL_RELOADONUPDATE
  value: "true"
{{- end -}}

{{/*
One byte (0-255) as a one-character string: {{ include "runnel.byte" 130 }}. Templates have no byte
literal; base64 decoding gives one.
*/}}
{{- define "runnel.byte" -}}
{{- $alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" -}}
{{- $high := div . 4 | int -}}
{{- $low := mul (mod . 4) 16 | int -}}
{{- printf "%s%s==" (substr $high (add1 $high | int) $alphabet) (substr $low (add1 $low | int) $alphabet) | b64dec -}}
{{- end -}}

{{/*
An RSA private key from Helm's genCA / genSignedCert (PKCS#1, "RSA PRIVATE KEY") as PKCS#8
("PRIVATE KEY"), which the broker's PEM key store reads, as Kafka's does: the key's DER wrapped in a
PrivateKeyInfo, SEQUENCE { INTEGER 0, SEQUENCE { rsaEncryption, NULL }, OCTET STRING { key } },
with two-byte DER lengths (a 2048-bit key is about 1,200 bytes).
*/}}
{{- define "runnel.pkcs8" -}}
{{- $key := . | replace "-----BEGIN RSA PRIVATE KEY-----" "" | replace "-----END RSA PRIVATE KEY-----" "" | nospace | b64dec -}}
{{- $keyLength := len $key -}}
{{- $infoLength := add $keyLength 22 -}}
{{- $info := print ("MII=" | b64dec) (include "runnel.byte" (div $infoLength 256)) (include "runnel.byte" (mod $infoLength 256)) ("AgEAMA0GCSqGSIb3DQEBAQUA" | b64dec) ("BII=" | b64dec) (include "runnel.byte" (div $keyLength 256)) (include "runnel.byte" (mod $keyLength 256)) $key -}}
-----BEGIN PRIVATE KEY-----
{{ b64enc $info | wrapWith 64 "\n" }}
-----END PRIVATE KEY-----
{{ end -}}
