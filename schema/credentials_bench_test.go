package schema

import "testing"

// BenchmarkCredentials is the credential check of an app as real stacks
// write them: a few variables, args and config files, none a credential.
func BenchmarkCredentials(b *testing.B) {
	env := map[string]string{"LOG_LEVEL": "info", "INDEX": "12", "DATABASE_URL": "postgres://app@db:5432/app", "CONFIG_FILE": "/etc/app-config/app.conf", "REDIS_PASSWORD_FILE": "/run/secrets/redis", "WORKERS": "4"}
	args := []string{"--config", "$(CONFIG_FILE)", "--listen=:8080", "--log-format=json"}
	cfg := &Config{Env: map[string]string{"FEATURE_FLAGS": "a,b,c", "UPSTREAM": "http://api:8080"}, Files: map[string]string{
		"app.conf": "listen=8080\n",
		"nginx.conf": `worker_processes auto;
events { worker_connections 1024; }
http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;
    sendfile        on;
    keepalive_timeout  65;
    server {
        listen       8080;
        server_name  localhost;
        location / {
            root   /usr/share/nginx/html;
            index  index.html index.htm;
        }
        location /api/ {
            proxy_pass http://api:8080/;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            auth_basic "Restricted";
            auth_basic_user_file /etc/nginx/.htpasswd;
        }
        error_page   500 502 503 504  /50x.html;
    }
}
`}}
	k := credentialChecker{secret: "app-secrets", fail: func(string, ...string) { b.Fatal("a credential") }, notSecret: func(...string) bool { return false }}
	for b.Loop() {
		k.env(env, "env")
		k.list(args, "args")
		k.config(cfg, "config")
	}
}
