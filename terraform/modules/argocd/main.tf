# Argo CD from its Helm chart, then the root Application (app of apps) through the argocd-apps
# chart rather than a kubernetes_manifest: the Application CRD does not exist at plan time on a
# new cluster, and a Helm release does not need it until apply. From then on Argo CD owns
# everything under gitops/argocd/<env>; Terraform never touches those apps.

locals {
  namespace = "argocd"
  root_path = "gitops/argocd/${var.environment}"
}

resource "helm_release" "argocd" {
  name             = "argocd"
  namespace        = local.namespace
  create_namespace = true
  repository       = "https://argoproj.github.io/argo-helm"
  chart            = "argo-cd"
  version          = var.argocd_chart_version

  wait    = true
  timeout = 900

  values = [yamlencode({
    # The UI is reached with kubectl port-forward; nothing is exposed outside the cluster.
    server = {
      service = { type = "ClusterIP" }
    }
    configs = {
      params = {
        "server.insecure" = false
      }
    }
    dex = { enabled = false }
  })]
}

resource "helm_release" "root_app" {
  name       = "argocd-root"
  namespace  = local.namespace
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argocd-apps"
  version    = var.argocd_apps_chart_version

  values = [yamlencode({
    applications = {
      root = {
        namespace = local.namespace
        project   = "default"
        finalizers = [
          "resources-finalizer.argocd.argoproj.io",
        ]
        source = {
          repoURL        = var.repo_url
          targetRevision = var.target_revision
          path           = local.root_path
        }
        destination = {
          server    = "https://kubernetes.default.svc"
          namespace = local.namespace
        }
        syncPolicy = {
          automated = {
            prune    = true
            selfHeal = true
          }
        }
      }
    }
  })]

  depends_on = [helm_release.argocd]
}
