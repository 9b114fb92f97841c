package token

import (
	"strings"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
)

// Provider ids: what the index records as an entry's provider. They are a
// public interface (`ls --json`, `inspect --json`) and appear as literals
// here only.
const (
	ProviderUnknown      = "unknown" // recorded when nothing says
	ProviderDocker       = "docker"  // docker's own OAuth sign-in tokens
	ProviderDockerHub    = "dockerhub"
	ProviderGitHub       = "github"
	ProviderGitLab       = "gitlab"
	ProviderAWSECR       = "aws-ecr"
	ProviderAzureACR     = "azure-acr"
	ProviderAzureEntra   = "azure-entra"
	ProviderAzureDevOps  = "azure-devops"
	ProviderGoogle       = "google"
	ProviderQuay         = "quay"
	ProviderHarbor       = "harbor"
	ProviderDigitalOcean = "digitalocean"
	ProviderIBM          = "ibm"
	ProviderNVIDIA       = "nvidia"
	ProviderHeroku       = "heroku"
	ProviderFlyio        = "flyio"
	ProviderScaleway     = "scaleway"
	ProviderAlibaba      = "alibaba"
	ProviderRedHat       = "redhat"
	ProviderJFrog        = "jfrog"
	ProviderOpenShift    = "openshift"
)

// A provider is what this program knows about one token issuer, beside its
// token formats (prefixFormats, usernameRules, the JWT issuers), which name
// it by id: the registry hosts it runs, where to create a token and where
// to revoke one.
type provider struct {
	id   string
	name string // for people
	// runs reports whether the provider runs the registry host name (no
	// port); nil when no host says so.
	runs func(name string) bool
	// create says where or how to create a token for host; "" for the
	// generic advice.
	create func(host string) string
	// selfHosted: people also run it on hosts of their own, so any host
	// no other provider runs may be one of its.
	selfHosted bool
	// revoke returns the page where the token of username on host is
	// revoked and what to look for there; both "" when not known.
	revoke func(host, username string) (url, how string)
}

// providers, in the order providerForHost tries their hosts.
var providers = []provider{
	{id: ProviderDockerHub, name: "Docker Hub",
		runs:   func(n string) bool { return n == registryurl.HubHost },
		create: func(string) string { return createDockerHub },
		revoke: page("https://app.docker.com/settings/personal-access-tokens", "")},
	{id: ProviderGitHub, name: "GitHub",
		runs: func(n string) bool { return n == "ghcr.io" || n == "docker.pkg.github.com" },
		create: func(string) string {
			return "create a personal access token (classic) with read:packages (and write:packages to push): https://github.com/settings/tokens"
		},
		revoke: page("https://github.com/settings/tokens", "")},
	{id: ProviderGitLab, name: "GitLab", selfHosted: true,
		runs: func(n string) bool {
			return n == "registry.gitlab.com" || strings.HasPrefix(n, "gitlab.") || strings.Contains(n, ".gitlab.")
		},
		create: func(host string) string {
			// The registry is usually registry.<gitlab host> or <gitlab host>:5050.
			web := strings.TrimPrefix(hostName(host), "registry.")
			return "create a personal access token with read_registry (and write_registry to push): https://" + web + "/-/user_settings/personal_access_tokens"
		},
		revoke: func(host, _ string) (string, string) {
			web := strings.TrimPrefix(host, "registry.")
			return "https://" + web + "/-/user_settings/personal_access_tokens", "project, group and deploy tokens are under the project's or group's Settings > Access tokens"
		}},
	{id: ProviderAWSECR, name: "Amazon ECR",
		runs: func(n string) bool { return strings.HasSuffix(n, ".amazonaws.com") || n == "public.ecr.aws" },
		create: func(string) string {
			return "get a token with: aws ecr get-login-password --region REGION, and log in as AWS"
		},
		revoke: page("", "nothing to revoke: ECR tokens expire 12 hours after they are issued")},
	{id: ProviderAzureACR, name: "Azure Container Registry",
		runs:   func(n string) bool { return strings.HasSuffix(n, ".azurecr.io") },
		create: func(string) string { return createAzure },
		revoke: page("https://portal.azure.com/#browse/Microsoft.ContainerRegistry%2Fregistries", "the registry's Access keys or Tokens page")},
	{id: ProviderGoogle, name: "Google Cloud",
		runs: func(n string) bool {
			return n == "gcr.io" || strings.HasSuffix(n, ".gcr.io") || strings.HasSuffix(n, "-docker.pkg.dev")
		},
		create: func(string) string {
			return "get a token with: gcloud auth print-access-token, and log in as oauth2accesstoken"
		},
		revoke: page("https://console.cloud.google.com/iam-admin/serviceaccounts", "the service account's Keys tab; access tokens expire within an hour")},
	{id: ProviderQuay, name: "Quay", selfHosted: true,
		runs: func(n string) bool { return n == "quay.io" },
		create: func(string) string {
			return "create a robot account in Quay (Account settings > Robot accounts) and log in as namespace+robot"
		},
		revoke: func(host, username string) (string, string) {
			if ns, _, ok := strings.Cut(username, "+"); ok && ns != "" {
				return "https://" + host + "/organization/" + ns + "?tab=robots", "the robot account " + username
			}
			return "https://" + host + "/user/" + username + "?tab=settings", ""
		}},
	{id: ProviderDigitalOcean, name: "DigitalOcean",
		runs: func(n string) bool { return n == "registry.digitalocean.com" },
		create: func(string) string {
			return "create a personal access token: https://cloud.digitalocean.com/account/api/tokens, or run doctl registry login"
		},
		revoke: page("https://cloud.digitalocean.com/account/api/tokens", "")},
	{id: ProviderIBM, name: "IBM Cloud",
		runs:   func(n string) bool { return n == "icr.io" || strings.HasSuffix(n, ".icr.io") },
		create: func(string) string { return "create an IBM Cloud API key and log in as iamapikey" },
		revoke: page("https://cloud.ibm.com/iam/apikeys", "")},
	{id: ProviderNVIDIA, name: "NVIDIA NGC",
		runs:   func(n string) bool { return n == "nvcr.io" },
		create: func(string) string { return "create an NGC API key (Setup > API key) and log in as $oauthtoken" },
		revoke: page("https://org.ngc.nvidia.com/setup/api-keys", "")},
	{id: ProviderHeroku, name: "Heroku",
		runs:   func(n string) bool { return n == "registry.heroku.com" },
		revoke: page("https://dashboard.heroku.com/account", "the API key section")},
	{id: ProviderFlyio, name: "Fly.io",
		runs:   func(n string) bool { return n == "registry.fly.io" },
		revoke: page("", "revoke it with: fly tokens list, then fly tokens revoke ID")},
	{id: ProviderScaleway, name: "Scaleway",
		runs:   func(n string) bool { return strings.HasSuffix(n, ".scw.cloud") },
		revoke: page("https://console.scaleway.com/iam/api-keys", "")},
	{id: ProviderAlibaba, name: "Alibaba Cloud",
		runs: func(n string) bool { return strings.HasSuffix(n, ".aliyuncs.com") }},
	{id: ProviderRedHat, name: "Red Hat",
		runs:   func(n string) bool { return n == "registry.redhat.io" || n == "registry.connect.redhat.com" },
		revoke: page("https://access.redhat.com/terms-based-registry/", "the registry service account")},
	{id: ProviderJFrog, name: "JFrog", selfHosted: true,
		runs: func(n string) bool { return strings.HasSuffix(n, ".jfrog.io") },
		create: func(string) string {
			return "create an identity token in Artifactory (Edit profile > Generate an identity token)"
		},
		revoke: func(host, _ string) (string, string) {
			return "https://" + host + "/ui/user_profile", "identity tokens; admins: Administration > User Management > Access Tokens"
		}},
	{id: ProviderDocker, name: "Docker",
		create: func(string) string { return createDockerHub },
		revoke: page("", "docker logout revokes docker's own sign-in tokens")},
	{id: ProviderAzureEntra, name: "Microsoft Entra ID",
		create: func(string) string { return createAzure },
		revoke: page("https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade", "the application's Certificates & secrets")},
	{id: ProviderHarbor, name: "Harbor", selfHosted: true,
		create: func(string) string {
			return "create a robot account in Harbor (Administration > Robot accounts) and log in as robot$name"
		},
		revoke: func(host, _ string) (string, string) {
			return "https://" + host + "/harbor/projects", "robot accounts are in the project's Robot Accounts tab, or under Administration > Robot Accounts"
		}},
	{id: ProviderAzureDevOps, name: "Azure DevOps"},
	{id: ProviderOpenShift, name: "OpenShift"},
}

const (
	createDockerHub = "create a personal access token in Docker Hub: Account settings > Personal access tokens, https://app.docker.com/settings/personal-access-tokens"
	createAzure     = "get a token with: az acr login --name REGISTRY --expose-token, or create a repository-scoped token in the registry's Tokens page"
)

func page(url, how string) func(string, string) (string, string) {
	return func(string, string) (string, string) { return url, how }
}

func providerByID(id string) *provider {
	for i := range providers {
		if providers[i].id == id {
			return &providers[i]
		}
	}
	return nil
}

// ProviderName is the provider's name for people ("GitHub"), or id itself
// when it is not one of ours.
func ProviderName(id string) string {
	if p := providerByID(id); p != nil {
		return p.name
	}
	return id
}

// providerForHost names the provider that runs a registry host[:port],
// when the host alone says so.
func providerForHost(host string) string {
	name := hostName(host)
	if name == "" {
		return ""
	}
	for i := range providers {
		if p := &providers[i]; p.runs != nil && p.runs(name) {
			return p.id
		}
	}
	return ""
}

// mayRun reports whether provider id may run the registry host[:port]:
// a host it is known to run, or, for a self-hosted provider, a host no
// known provider runs. Docker Hub is never a Harbor, nor ghcr.io an IBM
// registry.
func mayRun(id, host string) bool {
	hp := providerForHost(host)
	if hp != "" {
		return hp == id
	}
	p := providerByID(id)
	return p != nil && p.selfHosted && hostName(host) != ""
}

// createHint says where to create a token for a registry.
func createHint(host, provider string) string {
	if provider == "" {
		provider = providerForHost(host)
	}
	if p := providerByID(provider); p != nil && p.create != nil {
		return p.create(host)
	}
	return "create an access token for " + host + " and log in with it"
}

// RevokeAt returns the page where a token is revoked and a note on what
// to look for there, judged by its provider id or else by the registry
// host[:port]; both "" when not known or there is nothing to revoke. A
// self-hosted provider's page is on the registry's own host, so it is
// given only where that provider may run: never a made-up page on a host
// that another provider runs.
func RevokeAt(provider, host, username string) (url, how string) {
	if provider == "" || provider == ProviderUnknown {
		provider = providerForHost(host)
	}
	if p := providerByID(provider); p != nil && p.revoke != nil {
		if p.selfHosted && !mayRun(provider, host) {
			return "", ""
		}
		return p.revoke(host, username)
	}
	return "", ""
}
