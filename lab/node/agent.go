package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Config is what the agent needs to know about its node.
type Config struct {
	// REST reaches the cluster's kube-apiserver.
	REST *rest.Config
	// NodeName names the Node the agent registers and serves.
	NodeName string
	// NodeIP is the Node's InternalIP; it must exist on a local interface.
	// The kubelet API listens on it.
	NodeIP string
	// PodCIDR is the Node's spec.podCIDR, e.g. 10.244.0.0/24; the CNI
	// configuration's IPAM hands out pod IPs from it.
	PodCIDR string
	// CNIConfDir holds the node's CNI network configuration (the first
	// .conflist by name is used); CNIBinDir the plugins.
	CNIConfDir string
	CNIBinDir  string
	// StateDir keeps pod records (addresses survive a restart) and logs.
	StateDir string
	// KubeletPort is the kubelet API's HTTPS port (10250 by default).
	KubeletPort int
	// Binary is the program meshbench images run; the running executable
	// when empty.
	Binary string
	// Log receives the agent's messages; slog.Default() when nil.
	Log *slog.Logger
	// Taints are set on the Node when the agent registers it (tests use a
	// NoSchedule taint so that the scheduler keeps other pods off a
	// second node).
	Taints []corev1.Taint
	// Annotations are set on the Node when the agent registers it (the
	// lab's network, which detect reads).
	Annotations map[string]string
	// LeavePods keeps pods' processes and networks when Run returns, for a
	// restarted agent to take over; by default Run stops them.
	LeavePods bool
}

// Check reports the first unusable field, naming it.
func (c *Config) Check() error {
	switch {
	case c.REST == nil:
		return errors.New("no kubeconfig to reach the apiserver")
	case c.NodeName == "":
		return errors.New("node name: want a name, e.g. meshbench-lab")
	case c.StateDir == "":
		return errors.New("state dir: want a directory")
	case c.KubeletPort <= 0 || c.KubeletPort > 65535:
		return fmt.Errorf("kubelet port %d: want 1-65535", c.KubeletPort)
	}
	if ip, err := netip.ParseAddr(c.NodeIP); err != nil || !ip.Is4() {
		return fmt.Errorf("node IP %q: want an IPv4 address, e.g. 10.250.0.1", c.NodeIP)
	}
	if p, err := netip.ParsePrefix(c.PodCIDR); err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		return fmt.Errorf("pod CIDR %q: want an IPv4 prefix of /30 or larger, e.g. 10.244.0.0/24", c.PodCIDR)
	}
	if c.CNIConfDir == "" || c.CNIBinDir == "" {
		return errors.New("CNI: want a configuration directory and a plugin directory")
	}
	return nil
}

// Agent plays kubelet and CNI for one node.
type Agent struct {
	cfg    Config
	binary string
	client kubernetes.Interface
	store  *Store
	cni    *CNI
	lister corelisters.PodLister
	queue  workqueue.TypedRateLimitingInterface[string]
	log    *slog.Logger

	mu   sync.Mutex
	pods map[string]*podState // by namespace/name

	// networkReady is set once the node's CNI configuration is loaded; the
	// Node is Ready only then.
	networkReady atomic.Bool
}

// waitCNI loads the node's CNI configuration as soon as it appears.
func waitCNI(ctx context.Context, cfg Config) (*CNI, error) {
	for {
		cni, err := NewCNI(cfg.CNIConfDir, cfg.CNIBinDir, filepath.Join(cfg.StateDir, "cni-cache"))
		if !errors.Is(err, ErrNoCNIConfig) {
			return cni, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Run registers the node and serves its pods until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg.REST)
	if err != nil {
		return err
	}
	return run(ctx, cfg, client)
}

func run(ctx context.Context, cfg Config, client kubernetes.Interface) error {
	a := &Agent{cfg: cfg, binary: cfg.Binary, client: client, log: cfg.Log, pods: map[string]*podState{}}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		a.binary = exe
	}
	if abs, err := filepath.Abs(a.binary); err == nil {
		a.binary = abs
	}
	var err error
	if a.store, err = NewStore(cfg.StateDir); err != nil {
		return err
	}
	cni, err := NewCNI(cfg.CNIConfDir, cfg.CNIBinDir, filepath.Join(cfg.StateDir, "cni-cache"))
	if err != nil && !errors.Is(err, ErrNoCNIConfig) {
		return err
	}
	a.queue = workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](200*time.Millisecond, 30*time.Second))
	defer a.queue.ShutDown()

	// The kubelet API first: a port in use is the likeliest reason to fail.
	srv, err := a.serveKubeletAPI(ctx)
	if err != nil {
		return err
	}
	defer srv.Close()

	if err := a.registerNode(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.heartbeat(ctx) }()
	// As the kubelet does, the node stays NotReady (and gets no pods wired)
	// until its network plugin wrote a CNI configuration.
	if cni == nil {
		a.log.Info("waiting for a CNI configuration", "dir", cfg.CNIConfDir)
		if cni, err = waitCNI(ctx, cfg); err != nil {
			return err
		}
	}
	a.cni = cni
	a.networkReady.Store(true)
	if err := a.updateNodeStatus(ctx); err != nil {
		return err
	}

	factory := informers.NewSharedInformerFactoryWithOptions(a.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", cfg.NodeName).String()
		}))
	podInformer := factory.Core().V1().Pods()
	a.lister = podInformer.Lister()
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			a.queue.Add(key)
		}
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.Informer().HasSynced) {
		return ctx.Err()
	}
	if err := a.recover(ctx); err != nil {
		return err
	}
	a.log.Info("node agent ready", "node", cfg.NodeName, "nodeIP", cfg.NodeIP, "podCIDR", cfg.PodCIDR, "kubeletPort", cfg.KubeletPort, "cni", a.cni.File(), "plugin", a.cni.Type())

	const workers = 4
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	a.queue.ShutDown()
	wg.Wait()
	if !cfg.LeavePods {
		a.stopAll()
	}
	return nil
}

func (a *Agent) processNext(ctx context.Context) bool {
	key, quit := a.queue.Get()
	if quit {
		return false
	}
	defer a.queue.Done(key)
	after, err := a.sync(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Error("syncing pod", "pod", key, "err", err)
		a.queue.AddRateLimited(key)
	case after > 0:
		a.queue.Forget(key)
		a.queue.AddAfter(key, after)
	default:
		a.queue.Forget(key)
	}
	return true
}

// sync handles one pod key: a pod gone or replaced is removed from the host;
// a pod being deleted is stopped, removed, and its object deleted at once;
// any other pod is brought to its spec.
func (a *Agent) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	pod, err := a.lister.Pods(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	a.mu.Lock()
	st := a.pods[key]
	a.mu.Unlock()
	if st != nil && (pod == nil || pod.UID != st.uid) {
		if err := a.terminate(ctx, st, 0); err != nil {
			return 0, err
		}
		a.forget(key, st)
		st = nil
	}
	if pod == nil {
		return 0, nil
	}
	if pod.DeletionTimestamp != nil {
		if st != nil {
			if err := a.terminate(ctx, st, gracePeriod(pod)); err != nil {
				return 0, err
			}
			a.forget(key, st)
		}
		// As kubelet does once the pod's containers are gone: finish the
		// deletion, for this pod only (the UID precondition).
		uid := pod.UID
		err := a.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: new(int64),
			Preconditions:      &metav1.Preconditions{UID: &uid},
		})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return 0, err
		}
		return 0, nil
	}
	if st == nil {
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			return 0, nil // finished before this agent knew it; nothing runs
		}
		st = newPodState(pod)
		a.mu.Lock()
		a.pods[key] = st
		a.mu.Unlock()
	}
	return a.syncPod(ctx, pod, st)
}

func (a *Agent) forget(key string, st *podState) {
	a.mu.Lock()
	if a.pods[key] == st {
		delete(a.pods, key)
	}
	a.mu.Unlock()
}

// podStateFor is the state of the pod with this key and UID, if known.
func (a *Agent) podStateFor(key string) *podState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pods[key]
}

// gracePeriod is how long a deleted pod's containers get between SIGTERM and
// SIGKILL: the pod's own grace period, at most 30 s.
func gracePeriod(pod *corev1.Pod) time.Duration {
	g := int64(30)
	if pod.DeletionGracePeriodSeconds != nil {
		g = *pod.DeletionGracePeriodSeconds
	} else if pod.Spec.TerminationGracePeriodSeconds != nil {
		g = *pod.Spec.TerminationGracePeriodSeconds
	}
	return time.Duration(min(max(g, 0), 30)) * time.Second
}

// stopAll stops every pod's containers and removes their networks when the
// agent shuts down; records go too, so a later agent starts clean.
func (a *Agent) stopAll() {
	a.mu.Lock()
	states := make([]*podState, 0, len(a.pods))
	for _, st := range a.pods {
		states = append(states, st)
	}
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, st := range states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.terminate(ctx, st, 2*time.Second); err != nil {
				a.log.Error("stopping pod", "pod", st.key, "err", err)
			}
		}()
	}
	wg.Wait()
}
